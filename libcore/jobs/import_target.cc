#include "jobs/import_target.h"

#include <algorithm>

#include "catalog/discovery.h"
#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "io/test_point.h"

namespace shardtool {
namespace {

constexpr std::string_view kTempSuffix = ".import.tmp";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<int32_t> NextOddFileId(FileSystem* fs, const std::string& db_dir, const RdbInfo& rdb) {
  ASSIGN_OR_RETURN(std::vector<CommittedFile> files, ListDataFiles(fs, db_dir, rdb));
  int32_t max_id = -1;
  for (const CommittedFile& f : files) max_id = std::max(max_id, f.id);
  if (max_id < 0) return 1;
  return max_id % 2 == 1 ? max_id + 2 : max_id + 1;
}

Result<TargetFilesWritten> WriteTargetFiles(FileSystem* fs, const std::string& db_dir,
                                            const RdbInfo& rdb, uint64_t part_size,
                                            const std::vector<TargetRecordRef>& recs) {
  TargetFilesWritten out;
  RETURN_IF_ERROR(fs->CreateDirs(db_dir));
  ASSIGN_OR_RETURN(int32_t id, NextOddFileId(fs, db_dir, rdb));
  RecordEncoder sizer(rdb);
  size_t i = 0;
  while (i < recs.size()) {
    const std::string data = DataName(rdb.name, id, rdb.titledb_naming);
    const std::string map = MapName(rdb.name, id);
    const std::string crc = CrcName(rdb.name, id);
    const std::string tdata = data + std::string(kTempSuffix);
    const std::string tmap = map + std::string(kTempSuffix);
    const std::string tcrc = crc + std::string(kTempSuffix);
    for (const std::string& t : {tdata, tmap, tcrc}) {
      const std::string p = JoinPath(db_dir, t);
      if (fs->Exists(p)) RETURN_IF_ERROR(fs->RemoveFile(p));
    }
    DataFileWriter::Options opt;
    opt.part_size = part_size;
    DataFileWriter w(fs, db_dir, tdata, tmap, tcrc, rdb, opt);
    RETURN_IF_ERROR(w.Open());
    for (; i < recs.size(); ++i) {
      const TargetRecordRef& r = recs[i];
      if (w.records() > 0 && w.bytes_written() + sizer.MaxEncodedSize(r.data_size) > part_size) {
        break;  // the next record would start a second part: a new file
      }
      RETURN_IF_ERROR(w.Add(r.key, r.data, r.data_size));
    }
    RETURN_IF_ERROR(w.Finish());
    out.bytes += w.bytes_written();
    out.renames.push_back({JoinPath(db_dir, tmap), JoinPath(db_dir, map)});
    out.renames.push_back({JoinPath(db_dir, tcrc), JoinPath(db_dir, crc)});
    out.renames.push_back({JoinPath(db_dir, tdata), JoinPath(db_dir, data)});
    out.names.push_back(data);
    id += 2;
  }
  TEST_POINT("import.after_target_write");
  return out;
}

Status RemoveImportTemps(FileSystem* fs, const std::string& db_dir) {
  if (!fs->Exists(db_dir)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(db_dir));
  bool removed = false;
  for (const DirEntry& e : entries) {
    if (!e.is_dir && (EndsWith(e.name, kTempSuffix) || EndsWith(e.name, ".import.tmp.tmp") ||
                      e.name.find(".import.tmp.part") != std::string::npos)) {
      RETURN_IF_ERROR(fs->RemoveFile(JoinPath(db_dir, e.name)));
      removed = true;
    }
  }
  if (removed) RETURN_IF_ERROR(fs->SyncDir(db_dir));
  return Status::Ok();
}

}  // namespace shardtool
