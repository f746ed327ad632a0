#include "jobs/import/import_target.h"

#include <algorithm>

#include "catalog/discovery.h"
#include "catalog/state_paths.h"
#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "io/test_point.h"

namespace shardtool {
namespace {

constexpr std::string_view kTempSuffix = ".import.tmp";

// "<name>.import.tmp" with ".dat" taken out: Gigablast loads any name that contains ".dat"
// (doc/format.md §4), so no temporary may (titledb0015-000.dat -> titledb0015-000.import.tmp; the
// map and sidecar keep their names, which have no ".dat": titledb0015.map.import.tmp).
std::string TempName(const std::string& name) {
  std::string s = name;
  for (size_t p; (p = s.find(".dat")) != std::string::npos;) s.erase(p, 4);
  return s + std::string(kTempSuffix);
}

}  // namespace

Result<int32_t> NextOddFileId(FileSystem* fs, const std::string& db_dir, const RdbInfo& rdb) {
  ASSIGN_OR_RETURN(std::vector<CommittedFile> files, ListDataFiles(fs, db_dir, rdb));
  int32_t max_id = -1;
  for (const CommittedFile& f : files) max_id = std::max(max_id, f.id);
  if (max_id < 0) return 1;
  return max_id % 2 == 1 ? max_id + 2 : max_id + 1;
}

TargetFilesWriter::TargetFilesWriter(FileSystem* fs, std::string db_dir, const RdbInfo& rdb,
                                     uint64_t part_size)
    : fs_(fs), db_dir_(std::move(db_dir)), rdb_(rdb), part_size_(part_size), sizer_(rdb) {}

TargetFilesWriter::~TargetFilesWriter() = default;

Status TargetFilesWriter::StartFile() {
  if (id_ < 0) {
    RETURN_IF_ERROR(fs_->CreateDirs(db_dir_));
    ASSIGN_OR_RETURN(id_, NextOddFileId(fs_, db_dir_, rdb_));
  } else {
    id_ += 2;
  }
  data_ = DataName(rdb_.name, id_, rdb_.titledb_naming);
  map_ = MapName(rdb_.name, id_);
  crc_ = CrcName(rdb_.name, id_);
  for (const std::string& t : {data_, map_, crc_}) {
    const std::string p = JoinPath(db_dir_, TempName(t));
    if (fs_->Exists(p)) RETURN_IF_ERROR(fs_->RemoveFile(p));
  }
  DataFileWriter::Options opt;
  opt.part_size = part_size_;
  w_ = std::make_unique<DataFileWriter>(fs_, db_dir_, TempName(data_), TempName(map_),
                                        TempName(crc_), rdb_, opt);
  return w_->Open();
}

Status TargetFilesWriter::EndFile() {
  RETURN_IF_ERROR(w_->Finish());
  out_.bytes += w_->bytes_written();
  out_.renames.push_back({JoinPath(db_dir_, TempName(map_)), JoinPath(db_dir_, map_)});
  out_.renames.push_back({JoinPath(db_dir_, TempName(crc_)), JoinPath(db_dir_, crc_)});
  out_.renames.push_back({JoinPath(db_dir_, TempName(data_)), JoinPath(db_dir_, data_)});
  out_.names.push_back(data_);
  w_.reset();
  return Status::Ok();
}

Status TargetFilesWriter::Add(const TargetRecordRef& r) {
  // A record that would start a second part starts a new file instead.
  if (w_ != nullptr && w_->records() > 0 &&
      w_->bytes_written() + sizer_.MaxEncodedSize(r.data_size) > part_size_) {
    RETURN_IF_ERROR(EndFile());
  }
  if (w_ == nullptr) RETURN_IF_ERROR(StartFile());
  ++records_;
  return w_->Add(r.key, r.data, r.data_size);
}

Result<TargetFilesWritten> TargetFilesWriter::Finish() {
  if (w_ == nullptr) return std::move(out_);
  RETURN_IF_ERROR(EndFile());
  TEST_POINT("import.after_target_write");
  return std::move(out_);
}

Result<TargetFilesWritten> WriteTargetFiles(FileSystem* fs, const std::string& db_dir,
                                            const RdbInfo& rdb, uint64_t part_size,
                                            const std::vector<TargetRecordRef>& recs) {
  TargetFilesWriter w(fs, db_dir, rdb, part_size);
  for (const TargetRecordRef& r : recs) RETURN_IF_ERROR(w.Add(r));
  return w.Finish();
}

Status RemoveImportTemps(FileSystem* fs, const std::string& db_dir) {
  if (!fs->Exists(db_dir)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(db_dir));
  bool removed = false;
  for (const DirEntry& e : entries) {
    // Also the names of older versions ("<data name>.import.tmp", with ".dat").
    if (!e.is_dir && e.name.find(kTempSuffix) != std::string::npos) {
      RETURN_IF_ERROR(fs->RemoveFile(JoinPath(db_dir, e.name)));
      removed = true;
    }
  }
  if (removed) RETURN_IF_ERROR(fs->SyncDir(db_dir));
  return Status::Ok();
}

Status SettleImportTemps(FileSystem* fs, const std::string& workdir, const std::string& db,
                         const std::string& rdb, const std::string& db_dir) {
  const std::string journal = JournalDir(workdir);
  if (fs->Exists(journal)) {
    const std::string prefix = "import-ledger." + db + "." + rdb + ".";
    ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(journal));
    for (const DirEntry& e : entries) {
      if (e.is_dir || e.name.rfind(prefix, 0) != 0 || e.name.size() <= prefix.size() + 5 ||
          e.name.compare(e.name.size() - 5, 5, ".json") != 0 ||
          e.name.find('.', prefix.size()) != e.name.size() - 5) {
        continue;  // another collection's, or a ledger being written (".json.tmp...")
      }
      ImportLedger ledger(fs, JoinPath(journal, e.name));
      RETURN_IF_ERROR(ledger.Load());
      RETURN_IF_ERROR(ledger.RollForward().status());
    }
  }
  return RemoveImportTemps(fs, db_dir);
}

}  // namespace shardtool
