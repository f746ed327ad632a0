// The ingest job (doc/architecture.md §4, §7; doc/format.md §10.2): adds one bundle made by `import
// --stage-dir` or `merge --orphans-to` to this host's collection, exactly once.
//
// The bundle is read and checked (B1-B4, Corruption: exit 8), the collection <database>.<rdb> is
// acquired for writing in this working dir (placement checked), and every record must belong to
// this host's shard (B5: StaleConfig, exit 5, when the manifest's catalog version differs from the
// host's; IncompatibleShardingMetadata, exit 3, otherwise). The streams are merged (keys sorted;
// on equal keys a later stream wins; negatives kept, they cancel older positives) and written as
// new data files at the next odd ids, committed through the host's ingest ledger
// (import_ledger.h) under the bundle's identity (directory name and manifest CRC), so ingesting
// the same bundle again does nothing. The stop flag, --max-duration and --rate are checked while
// the files are written (every 4096 records, 1 MiB or 50 ms: io/check_pacer.h); a stop comes before
// the commit, removes the temporaries and ends with Interrupted (exit 9): the rerun ingests the
// whole bundle. Records of an orphan bundle whose key this host already holds (either form) are
// dropped: they never shadow the host's versions (ingest_held.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/file_system.h"
#include "jobs/ingest/local_write.h"

namespace shardtool {

struct IngestRequest {
  std::string workdir;
  std::string bundle_dir;
  bool force = false;
  bool dry_run = false;
  int64_t lock_timeout_ms = 0;
  int64_t max_duration_ms = 0;  // 0: no limit; else stop before the commit (Interrupted, exit 9)
  double rate_mb_s = 0;         // 0: unlimited; else bytes written per second / 1e6
};

using IngestEnv = LocalWriteEnv;

struct IngestReport {
  std::string bundle, kind, database, rdb;
  int32_t target_shard = 0;
  int64_t records = 0, positive = 0, negative = 0, superseded = 0;
  // Orphan bundles: records dropped because this host holds a version of their key.
  int64_t held_by_host = 0;
  int64_t streams = 0;
  bool already_ingested = false;
  bool dry_run = false;
  std::vector<std::string> files;  // data files made, relative to the working dir
  uint64_t bytes_written = 0;
  double seconds = 0;
};

Result<IngestReport> RunIngest(FileSystem* fs, const IngestRequest& req, const IngestEnv& env);

}  // namespace shardtool
