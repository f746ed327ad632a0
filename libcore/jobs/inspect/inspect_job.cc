#include "jobs/inspect/inspect_job.h"

#include "iter/range_reader.h"
#include "iter/record_scanner.h"

namespace shardtool {
namespace {

Result<DataFile> OpenForInspect(FileSystem* fs, const std::string& path,
                                const InspectFileOptions& opt, std::vector<Finding>* findings) {
  ASSIGN_OR_RETURN(auto where, ResolveDataFilePath(fs, path));
  OpenDataFileOptions o;
  o.default_part_size = opt.default_part_size;
  o.rdb = opt.rdb;
  return OpenDataFile(fs, where.first, where.second, nullptr, o, findings);
}

}  // namespace

Result<FileReport> InspectFile(FileSystem* fs, const std::string& path,
                               const InspectFileOptions& opt) {
  FileReport r;
  ASSIGN_OR_RETURN(DataFile df, OpenForInspect(fs, path, opt, &r.findings));
  r.path = df.big->path();
  r.rdb = df.rdb;
  r.name = df.name;
  r.parts = df.big->parts();
  r.islands = df.big->islands();
  r.part_size = df.big->part_size();
  r.logical_size = df.big->logical_size();
  r.first_part = df.big->first_part();
  r.headless = df.big->headless();
  r.map_name = df.map_name;
  r.crc_name = df.crc_name;
  r.crc_present = df.has_crc;
  const int ks = df.rdb->key_size;
  if (df.map) {
    const PageMap& m = *df.map;
    r.map_ok = true;
    r.map_pages = m.num_pages();
    r.end_offset = m.end_offset();
    r.chopped_head = m.chopped_head();
    r.positive = m.num_positive();
    r.negative = m.num_negative();
    if (m.num_pages() > 0) {
      r.first_key = KeyHex(m.page_key(0), ks);
      r.last_key = KeyHex(m.last_key(), ks);
    }
    m.CheckStructure(df.big->logical_size(), df.big->first_part(), df.big->part_size(),
                     JoinPath(df.big->dir(), df.map_name), &r.findings);
  } else {
    r.map_error = df.map_status.message();
  }
  return r;
}

Result<MapReport> InspectMap(FileSystem* fs, const std::string& path,
                             const InspectFileOptions& opt) {
  MapReport r;
  ASSIGN_OR_RETURN(DataFile df, OpenForInspect(fs, path, opt, nullptr));
  r.path = JoinPath(df.big->dir(), df.map_name);
  r.rdb = df.rdb;
  if (!df.map) return df.map_status;
  r.map = std::move(df.map);
  return r;
}

Result<const RdbInfo*> InspectRecords(
    FileSystem* fs, const std::string& path, const RecordsOptions& opt,
    const std::function<void(const RdbInfo&, const RecordEntry&)>& fn) {
  ASSIGN_OR_RETURN(DataFile df, OpenForInspect(fs, path, opt.file, nullptr));
  const int ks = df.rdb->key_size;
  Key a = Key::Min(ks), b = Key::Max(ks);
  if (!opt.start_hex.empty()) {
    ASSIGN_OR_RETURN(a, Key::FromHex(opt.start_hex, ks));
  }
  if (!opt.end_hex.empty()) {
    ASSIGN_OR_RETURN(b, Key::FromHex(opt.end_hex, ks));
  }
  const bool bounded = !opt.start_hex.empty() || !opt.end_hex.empty();
  uint64_t emitted = 0;
  auto emit = [&](uint64_t offset, const Record& rec) {
    fn(*df.rdb, RecordEntry{offset, rec.key, rec.negative, rec.data_size, rec.data});
    return opt.limit == 0 || ++emitted < opt.limit;
  };
  if (df.map && (bounded || df.big->headless())) {
    RangeReader reader(df, a, b);
    for (reader.SeekToStart(); reader.Valid(); reader.Next()) {
      if (!emit(reader.offset(), reader.record())) return df.rdb;
    }
    RETURN_IF_ERROR(reader.status());
    return df.rdb;
  }
  ASSIGN_OR_RETURN(auto first, df.FirstReadable());
  RecordScanner::Options so;
  so.start = first.first;
  so.seed_key = first.second;
  RecordScanner scan(df.big.get(), *df.rdb, so);
  for (scan.SeekToStart(); scan.Valid(); scan.Next()) {
    const uint8_t* k = scan.record().key;
    if (CompareKeys(k, a.data(), ks) < 0 || CompareKeys(k, b.data(), ks) > 0) continue;
    if (!emit(scan.offset(), scan.record())) return df.rdb;
  }
  RETURN_IF_ERROR(scan.status());
  return df.rdb;
}

}  // namespace shardtool
