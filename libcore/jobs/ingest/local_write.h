// What the jobs that write into this host's collections on their own share (ingest, repair): the
// environment, the refusal while Gigablast works in the working dir, and the collection's write
// acquisition (doc/architecture.md §6).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "acquire/acquisition.h"
#include "acquire/catalog_cache.h"
#include "acquire/lease_keeper.h"
#include "acquire/process_info.h"
#include "base/status.h"
#include "io/file_system.h"
#include "io/lock_manager.h"
#include "jobs/merge/merge_guard.h"

namespace shardtool {

struct LocalWriteProgress {
  uint64_t done = 0, total = 0;  // bytes
};

struct LocalWriteEnv {
  // SIGINT/SIGTERM (ingest): stop before the commit; nothing is written, a rerun does it all.
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const LocalWriteProgress&)> progress;
  LockManager* locks = nullptr;
  CatalogCache* catalogs = nullptr;
  LeaseKeeper* keeper = nullptr;
  ProcessInfo* process = nullptr;
  bool heartbeat_thread = true;
  GigablastDetector* gigablast = nullptr;  // nullptr: the real detector
};

// Busy while a Gigablast process works in `workdir`; nothing is checked when `skip` (--force, a
// dry run).
Status RefuseWhileGigablastRuns(const LocalWriteEnv& env, const std::string& workdir, bool skip);

// The acquisition of one collection of `workdir` for `job`: for writing, or for reading (a dry
// run). The context outlives the acquisitions.
struct LocalWrite {
  std::unique_ptr<AcquisitionContext> ctx;
  std::vector<CollectionOrViewAcquisition> acqs;
  const CollectionAcquisition& collection() const { return acqs[0].collection(); }
};
Result<LocalWrite> AcquireLocalWrite(FileSystem* fs, const std::string& workdir,
                                     const LocalWriteEnv& env, const char* job,
                                     const std::string& ns, bool read_only,
                                     int64_t lock_timeout_ms);

}  // namespace shardtool
