#include "jobs/ingest/ingest_held.h"

#include <algorithm>

#include "catalog/discovery.h"
#include "format/key.h"
#include "iter/data_file.h"
#include "iter/range_reader.h"
#include "iter/record_scanner.h"

namespace shardtool {
namespace {

// Marks held[i] for each ref found in `file` through its map: one page per key.
Status MarkByLookups(const DataFile& file, const std::vector<TargetRecordRef>& refs,
                     std::vector<bool>* held) {
  const RdbInfo& rdb = *file.rdb;
  const int ks = rdb.key_size;
  const uint8_t low = rdb.compression == KeyCompression::kPosdb ? 0x07 : 0x01;
  for (size_t i = 0; i < refs.size(); i++) {
    if ((*held)[i]) continue;
    Key lo = Key::FromBytes(refs[i].key, ks), hi = lo;
    lo.data()[0] = static_cast<uint8_t>(lo[0] & ~low);
    hi.data()[0] = static_cast<uint8_t>(hi[0] | low);
    RangeReader rr(file, lo, hi);
    rr.SeekToStart();
    if (rr.Valid()) (*held)[i] = true;
    RETURN_IF_ERROR(rr.status());
  }
  return Status::Ok();
}

// Marks held[i] for each ref found in `file` by reading it whole (no usable map), merging the
// file's keys with the refs under cmpNegEq.
Status MarkByScan(const DataFile& file, const std::vector<TargetRecordRef>& refs,
                  std::vector<bool>* held) {
  const int ks = file.rdb->key_size;
  ASSIGN_OR_RETURN(auto first, file.FirstReadable());
  RecordScanner::Options opt;
  opt.start = first.first;
  opt.seed_key = first.second;
  RecordScanner s(file.big.get(), *file.rdb, opt);
  size_t i = 0;
  for (s.SeekToStart(); s.Valid() && i < refs.size(); s.Next()) {
    const uint8_t* k = s.record().key;
    while (i < refs.size() && CompareKeysNegEq(refs[i].key, k, ks) < 0) i++;
    if (i < refs.size() && CompareKeysNegEq(refs[i].key, k, ks) == 0) (*held)[i] = true;
  }
  return s.status();
}

}  // namespace

Result<int64_t> DropKeysHeldByHost(FileSystem* fs, const std::string& db_dir, const RdbInfo& rdb,
                                   uint64_t part_size, std::vector<TargetRecordRef>* refs) {
  if (refs->empty() || !fs->Exists(db_dir)) return int64_t{0};
  ASSIGN_OR_RETURN(auto files, ListDataFiles(fs, db_dir, rdb));
  ASSIGN_OR_RETURN(auto entries, fs->ListDir(db_dir));
  std::vector<bool> held(refs->size(), false);
  OpenDataFileOptions opt;
  opt.default_part_size = part_size;
  opt.rdb = &rdb;
  for (const CommittedFile& f : files) {
    ASSIGN_OR_RETURN(DataFile file, OpenDataFile(fs, db_dir, f.name, &entries, opt, nullptr));
    // An unfinished merge target (no map yet, or a torn tail) holds only keys that its inputs,
    // on disk until the merge commits, hold too.
    if (f.merge && !file.map) continue;
    // One page per key, unless that reads more than the whole file would.
    const bool scan = !file.map || refs->size() * rdb.page_size >= file.big->logical_size();
    const Status st = scan ? MarkByScan(file, *refs, &held) : MarkByLookups(file, *refs, &held);
    if (!st.ok() && f.merge) continue;
    if (!st.ok()) {
      return CorruptionStatus(JoinPath(db_dir, f.name) +
                              ": cannot tell which keys this host holds: " + st.message())
          .With("file", JoinPath(db_dir, f.name));
    }
  }
  size_t out = 0;
  for (size_t i = 0; i < refs->size(); i++) {
    if (!held[i]) (*refs)[out++] = (*refs)[i];
  }
  const int64_t dropped = static_cast<int64_t>(refs->size() - out);
  refs->resize(out);
  return dropped;
}

}  // namespace shardtool
