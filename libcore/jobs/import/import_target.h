// Writing a batch of records into a host's collection dir as new data files (the "local target"
// of import and ingest): names, temporaries and the next odd id (doc/format.md §4).
//
// Files are written under temporary names that contain no ".dat" (doc/format.md §4 naming rule):
// "<data name without .dat>.import.tmp" (titledb0015-000.import.tmp), "<map name>.import.tmp",
// "<crc name>.import.tmp" (parts: ".part<N>" appended); the ledger's renames
// (import_ledger.h) make them visible. A file stops before it would need a second part, so that
// its visibility is one rename; a larger batch becomes several files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/data_file_writer.h"
#include "format/rdb_registry.h"
#include "io/file_system.h"
#include "jobs/import/import_ledger.h"

namespace shardtool {

struct TargetRecordRef {
  const uint8_t* key = nullptr;  // full key
  const uint8_t* data = nullptr;
  uint32_t data_size = 0;
};

struct TargetFilesWritten {
  std::vector<LedgerRename> renames;  // per file: map, sidecar, data (data last)
  std::vector<std::string> names;     // final data names
  uint64_t bytes = 0;
};

// The next free odd id among the data files of `rdb` in db_dir (1 when there are none).
Result<int32_t> NextOddFileId(FileSystem* fs, const std::string& db_dir, const RdbInfo& rdb);

// Streams records (sorted by key, no two with the same key under cmpNegEq) into new data files of
// db_dir at the next odd ids under temporary names; Finish makes them durable (parts, map and
// sidecar fsynced, directory fsynced). Nothing is created before the first Add.
class TargetFilesWriter {
 public:
  TargetFilesWriter(FileSystem* fs, std::string db_dir, const RdbInfo& rdb, uint64_t part_size);
  ~TargetFilesWriter();
  Status Add(const TargetRecordRef& r);
  // DataFileWriter::Drain of the open file, if any.
  Status Drain() { return w_ ? w_->Drain() : Status::Ok(); }
  // Finishes the last file (an empty result when nothing was added).
  Result<TargetFilesWritten> Finish();
  int64_t records() const { return records_; }

 private:
  Status StartFile();
  Status EndFile();

  FileSystem* fs_;
  std::string db_dir_;
  const RdbInfo& rdb_;
  uint64_t part_size_;
  RecordEncoder sizer_;
  std::unique_ptr<DataFileWriter> w_;
  int32_t id_ = -1;
  std::string data_, map_, crc_;
  int64_t records_ = 0;
  TargetFilesWritten out_;
};

// Writes `recs` (sorted by key, no two with the same key under cmpNegEq) to db_dir under
// temporary names, durable (parts, map and sidecar fsynced, directory fsynced).
// REQUIRES: recs non-empty.
Result<TargetFilesWritten> WriteTargetFiles(FileSystem* fs, const std::string& db_dir,
                                            const RdbInfo& rdb, uint64_t part_size,
                                            const std::vector<TargetRecordRef>& recs);

// Removes every temporary of db_dir (every name containing ".import.tmp", including older versions'
// "<data name>.import.tmp"). Only for temporaries no ledger names: see SettleImportTemps.
Status RemoveImportTemps(FileSystem* fs, const std::string& db_dir);

// Before an import or ingest writes into db_dir (under the collection's write acquisition), and
// after one failed there: every ledger of the collection <db>.<rdb> in `workdir`'s journal (each
// source's import ledger and the ingest ledger, import-ledger.<db>.<rdb>.*.json) is rolled
// forward, since the temporaries of a committing entry are a batch that ledger holds (its rerun
// skips those records), whichever run wrote them; then the temporaries no ledger names — left by
// a crash or a failed write before their commit point — are removed. Removing every temporary
// would lose another source's committed but unpublished batch (issue 16).
Status SettleImportTemps(FileSystem* fs, const std::string& workdir, const std::string& db,
                         const std::string& rdb, const std::string& db_dir);

}  // namespace shardtool
