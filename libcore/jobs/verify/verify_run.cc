#include "jobs/verify/verify_run.h"

#include <memory>

#include "acquire/acquisition.h"
#include "acquire/catalog_cache.h"
#include "catalog/catalog_admin.h"
#include "catalog/catalog_ops.h"
#include "catalog/catalog_store.h"
#include "catalog/discovery.h"
#include "catalog/state_paths.h"
#include "io/lock_manager.h"
#include "io/mem_file_system.h"
#include "io/overlay_file_system.h"

namespace shardtool {
namespace {

// Where verify's acquisitions live (see verify_run.h).
struct VerifyWorld {
  FileSystem* fs = nullptr;
  std::unique_ptr<MemFileSystem> mem;
  std::unique_ptr<OverlayFileSystem> overlay;
  std::unique_ptr<LockManager> locks;
  std::unique_ptr<CatalogCache> catalogs;
  bool in_memory = false;
};

// Mounts a catalog built from hosts.conf and the discovered databases in memory (see above).
Status MountInMemoryCatalog(FileSystem* fs, const VerifyJobRequest& req, VerifyWorld* w) {
  ASSIGN_OR_RETURN(HostsConf hosts, ReadHostsConf(fs, req.hosts_conf));
  ASSIGN_OR_RETURN(Discovery found, DiscoverDatabases(fs, req.workdir));
  InitRequest init;
  init.hosts = std::move(hosts);
  init.host_id = req.host_id;
  init.databases = std::move(found.databases);
  OpEnv env{RandomUuidGenerator(), fs->NowMicros() / 1000000};
  ASSIGN_OR_RETURN(OpResult made, InitCatalog(nullptr, init, env));
  w->in_memory = true;
  w->mem = std::make_unique<MemFileSystem>();
  w->overlay = std::make_unique<OverlayFileSystem>(fs, w->mem.get(), StateDir(req.workdir));
  w->fs = w->overlay.get();
  w->locks = std::make_unique<LockManager>(w->fs);
  w->catalogs = std::make_unique<CatalogCache>();
  RETURN_IF_ERROR(w->fs->CreateDirs(StateDir(req.workdir)));
  CatalogStoreOptions so;
  so.locks = w->locks.get();
  CatalogStore store(w->fs, req.workdir, so);
  auto written =
      store.Update([&](const CatalogStore::Current&) -> Result<OpResult> { return made; }, 0);
  return written.status();
}

Status SetUpWorld(FileSystem* fs, const VerifyJobRequest& req, VerifyWorld* w) {
  w->fs = fs;
  auto loaded = CatalogCache::Process()->Get(fs, req.workdir);
  if (loaded.ok()) {
    if (req.host_id >= 0 && req.host_id != (*loaded)->catalog().this_host) {
      return FailedPreconditionStatus("--host-id " + std::to_string(req.host_id) + " but " +
                                      CatalogPath(req.workdir) + " belongs to host " +
                                      std::to_string((*loaded)->catalog().this_host));
    }
    return Status::Ok();
  }
  if (loaded.status().code() != ErrorCode::kNotFound) return loaded.status();
  if (req.hosts_conf.empty() || req.host_id < 0) {
    return NotFoundStatus(
        CatalogPath(req.workdir) +
        " does not exist: run `shardtool init`, or give --hosts FILE and --host-id N " +
        "to verify against Gigablast's hosts.conf without writing anything");
  }
  return MountInMemoryCatalog(fs, req, w);
}

// The run failed with `failed`: a resumable stop stashes the acquisitions; otherwise the restore's
// error wins over the run's, if a restore fails.
Status FinishFailedRun(AcquisitionContext& actx, const VerifyWorld& world,
                       const VerifyJobRequest& req, const Status& failed) {
  const std::string& db = req.acquire.selection.database;
  if (failed.code() == ErrorCode::kInterrupted && !world.in_memory &&
      actx.state() == ContextState::kActive) {
    // Resumable stop (doc/acquisition.md §7): the acquisitions go to the journal, the leases stay
    // (stashed, 900 s) so that what this run read is preserved for `verify --resume`.
    RETURN_IF_ERROR(actx.Stash(VerifyStashName(db), ""));
    return InterruptedStatus("verify of " + db + " interrupted: `shardtool verify " + db +
                             " --resume` continues on the same files");
  }
  // A failed restore ends the run; a worker that hit the dropped collection's missing files
  // before the restore noticed gets the restore's error too (exit 6 rather than an I/O error).
  if (actx.state() == ContextState::kActive && actx.Yield().ok()) {
    RETURN_IF_ERROR(actx.Restore());
  }
  if (actx.state() == ContextState::kFailed) return actx.failure();
  return failed;
}

}  // namespace

Result<VerifyJobResult> RunVerifyJob(FileSystem* fs, const VerifyJobRequest& req) {
  VerifyWorld world;
  RETURN_IF_ERROR(SetUpWorld(fs, req, &world));

  ShardRoleOptions so;
  so.fs = world.fs;
  so.workdir = req.workdir;
  so.locks = world.locks.get();
  so.catalogs = world.catalogs.get();
  so.job = "verify";
  AcquisitionContext actx(so);
  ASSIGN_OR_RETURN(VerifyAcquired acquired, AcquireVerify(actx, req.acquire));

  VerifyOptions vo = req.options;
  if (req.on_acquired) req.on_acquired(&vo);
  // Every worker passes its records to the one context: MaybeYield counts them with atomics and
  // lets a single thread yield and restore; workers read through their own open files, never
  // through the handles, so a yield (which makes handles unusable) never races with their reads.
  const uint64_t every = vo.yield_every;
  vo.yield = [&actx, every]() { return actx.MaybeYield(every); };
  auto report = RunVerify(world.fs, acquired.plan.collections, vo);
  if (!report.ok()) return FinishFailedRun(actx, world, req, report.status());
  VerifyJobResult result;
  result.plan = std::move(acquired.plan);
  result.resumed = acquired.resumed;
  result.report = std::move(*report);
  return result;
}

}  // namespace shardtool
