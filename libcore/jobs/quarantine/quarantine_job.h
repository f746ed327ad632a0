// `shardtool quarantine list|export|drop` (issue 16, "repair on one host"): what merge and import
// set aside in shardtool/quarantine/<entry>/ (doc/format.md §10.3), for an operator to decide on.
//
//   list    the entries of a database (inspect db's quarantine listing).
//   export  the entry's records as a bundle of kind "orphans" in a directory, for `shardtool
//           ingest` on the host of its target shard: orphan semantics, so a record never shadows
//           a version the ingesting host holds (ingest_held.h). The manifest carries this host's
//           catalog (epoch, version, uuid, the target shard's version). An entry with raw streams
//           (bytes that did not decode) cannot be exported: FailedPrecondition. The entry stays.
//   drop    removes the entry: renamed to ".drop.<entry>" (one atomic step, then it is out of
//           every listing), then its files and the directory; a drop interrupted after the
//           rename is finished by the next list or drop.
// Every export and drop appends one JSON line to shardtool/quarantine/log.jsonl (fsynced): time,
// action, entry, and what was written or removed. The log is never rewritten.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "io/file_system.h"
#include "jobs/inspect/inspect_db.h"

namespace shardtool {

// shardtool/quarantine/ and its log.
std::string QuarantineDir(const std::string& workdir);
std::string QuarantineLogPath(const std::string& workdir);

// The entries of `database` (finishing interrupted drops first).
Result<std::vector<DbQuarantineInfo>> ListQuarantine(FileSystem* fs, const std::string& workdir,
                                                     const std::string& database);

struct QuarantineExport {
  std::string entry, bundle;  // the bundle's path
  int64_t records = 0, positive = 0, negative = 0;
  int32_t target_shard = 0;
};

// Exports entry (a name in shardtool/quarantine/) to a new bundle under to_dir.
Result<QuarantineExport> ExportQuarantine(FileSystem* fs, const std::string& workdir,
                                          const Catalog& catalog, const std::string& entry,
                                          const std::string& to_dir);

struct QuarantineDrop {
  std::string entry;
  int64_t files = 0;
};
Result<QuarantineDrop> DropQuarantine(FileSystem* fs, const std::string& workdir,
                                      const std::string& entry);

}  // namespace shardtool
