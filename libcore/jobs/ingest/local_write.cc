#include "jobs/ingest/local_write.h"

#include "acquire/router.h"

namespace shardtool {

Status RefuseWhileGigablastRuns(const LocalWriteEnv& env, const std::string& workdir, bool skip) {
  if (skip) return Status::Ok();
  ASSIGN_OR_RETURN(auto running, FindGigablast(workdir, env.gigablast));
  if (running.has_value()) {
    return BusyStatus("Gigablast is running in this working dir (" + *running +
                      "); stop it or use --force");
  }
  return Status::Ok();
}

Result<LocalWrite> AcquireLocalWrite(FileSystem* fs, const std::string& workdir,
                                     const LocalWriteEnv& env, const char* job,
                                     const std::string& ns, bool read_only,
                                     int64_t lock_timeout_ms) {
  ShardRoleOptions so;
  so.fs = fs;
  so.workdir = workdir;
  so.locks = env.locks;
  so.catalogs = env.catalogs;
  so.keeper = env.keeper;
  so.process = env.process;
  so.job = job;
  so.heartbeat_thread = env.heartbeat_thread;
  LocalWrite w;
  w.ctx = std::make_unique<AcquisitionContext>(so);
  CommandAcquireRequest car;
  car.namespaces = {ns};
  car.operation = read_only ? OperationType::kRead : OperationType::kWrite;
  car.lock_timeout_ms = lock_timeout_ms;
  ASSIGN_OR_RETURN(w.acqs, AcquireForCommand(*w.ctx, car));
  return w;
}

}  // namespace shardtool
