// `shardtool repair map|sidecar FILE` (issue 16, "repair on one host"): rebuilds a data file's
// page map exactly as Gigablast writes it, or writes the checksum sidecar of a file that has none
// (a Gigablast-written file), so that later checks cover it.
//
// Both read the data file once from its start: the map is built record by record with
// PageMap::AddRecord (the builder shardtool's own writers use, byte-identical to Gigablast's maps)
// and the sidecar from the logical bytes (CrcSidecarBuilder). Under the collection's write
// acquisition (no merge, import or ingest of the collection meanwhile; not while Gigablast runs
// in the working dir without --force), the file first passes the deep check of verify: any error
// finding other than those of what is repaired (M rules and a missing map, D6, for a map; the
// sidecar must be absent, C5) refuses the repair with Corruption (exit 8), so that a repair never
// blesses damaged data. The result is written atomically (AtomicFile). A map whose bytes already
// equal the rebuilt ones is left alone (unchanged). A headless file (leading parts removed by a
// merge's chopHead) cannot be rebuilt from its start: FailedPrecondition (exit 3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/finding.h"
#include "format/rdb_registry.h"
#include "io/file_system.h"
#include "jobs/ingest/local_write.h"

namespace shardtool {

// What one scan of a data file gives: the map and sidecar bytes Gigablast / shardtool write.
struct RebuiltMeta {
  std::string map;      // PageMap::Serialize
  std::string sidecar;  // CrcSidecar::Serialize
  int64_t positive = 0, negative = 0;
  uint64_t bytes = 0;  // logical size
};

// Reads data_name in dir from its start. Corruption when the records do not decode to the end;
// FailedPrecondition for a headless file.
Result<RebuiltMeta> RebuildMeta(FileSystem* fs, const std::string& dir,
                                const std::string& data_name, const RdbInfo& rdb,
                                uint64_t part_size);

enum class RepairWhat { kMap, kSidecar };

struct RepairRequest {
  std::string workdir;
  std::string file;  // a data file (any part) or its map: absolute, or relative to the workdir
  RepairWhat what = RepairWhat::kMap;
  bool dry_run = false;
  bool force = false;
  int64_t lock_timeout_ms = 0;
};

using RepairEnv = LocalWriteEnv;

struct RepairReport {
  std::string what;     // "map" / "sidecar"
  std::string file;     // the data file, relative to the working dir
  std::string written;  // the map or sidecar, relative to the working dir
  bool unchanged = false;
  bool dry_run = false;
  bool replaced = false;  // an existing (different) map was replaced
  int64_t positive = 0, negative = 0;
  uint64_t bytes = 0;
  std::vector<Finding> findings;  // of the check, that the repair addresses
  double seconds = 0;
};

Result<RepairReport> RunRepair(FileSystem* fs, const RepairRequest& req, const RepairEnv& env);

}  // namespace shardtool
