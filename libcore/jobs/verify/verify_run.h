// `verify` as one job (doc/architecture.md §4, §9): sets up where its acquisitions live, acquires
// (verify_acquire.h), runs the deep check (verify_job.h) with yields, and on a resumable stop
// stashes the acquisitions; the CLI only parses options, calls RunVerifyJob and renders.
//
// Where the acquisitions live: normally the working dir itself (shardtool/catalog.json, its locks
// and leases). On a Gigablast dir that was never initialised, with hosts_conf and host_id, the
// catalog is built in memory and mounted, with the lock files and the leases, at
// <workdir>/shardtool of an overlay whose every other path is read-only: the acquisition machinery
// runs unchanged, nothing is written anywhere, and an attempt to write outside the overlay would
// be an InternalError rather than a modified data file. No other process can see those leases or
// locks; none needs to, since no shardtool merge or cleanup can run on a dir without a catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "io/file_system.h"
#include "jobs/verify/verify_acquire.h"
#include "jobs/verify/verify_job.h"

namespace shardtool {

struct VerifyJobRequest {
  std::string workdir;
  int32_t host_id = -1;    // --host-id; -1: the catalog's
  std::string hosts_conf;  // hosts.conf for a dir without a catalog ("" none)
  VerifyAcquireRequest acquire;
  // threads, quick, report_limit, digest, progress and stop; yield is set by the job.
  VerifyOptions options;
  // Called once the acquisitions are held, before the check starts, with the options the check
  // will use (e.g. to set stop and progress then). May be empty.
  std::function<void(VerifyOptions*)> on_acquired;
};

struct VerifyJobResult {
  VerifyPlan plan;
  bool resumed = false;  // adopted the stash of an interrupted verify
  VerifyReport report;   // with options.digest, also the digests
};

// Errors: those of AcquireVerify and RunVerify; FailedPrecondition when host_id is not the
// catalog's; NotFound without a catalog and without hosts_conf and host_id; Interrupted after a
// resumable stop (the acquisitions are stashed for `verify --resume`); the restore's error
// (QueryPlanKilled, exit 6) when a collection was dropped meanwhile.
Result<VerifyJobResult> RunVerifyJob(FileSystem* fs, const VerifyJobRequest& req);

}  // namespace shardtool
