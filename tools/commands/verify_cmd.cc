// `shardtool verify <db>`: the deep per-file check of a database's data files on this host
// (DESIGN.md §4, §9). Exit 0 clean, 1 findings (an error finding or a record this shard does not
// own), others per DESIGN.md §5. Read-only: nothing is written anywhere.
#include <ostream>
#include <thread>

#include "acquire/acquisition.h"
#include "acquire/router.h"
#include "catalog/catalog_admin.h"
#include "catalog/catalog_ops.h"
#include "catalog/catalog_store.h"
#include "catalog/discovery.h"
#include "catalog/state_paths.h"
#include "cli/command.h"
#include "cli/job_run.h"
#include "io/mem_file_system.h"
#include "io/overlay_file_system.h"
#include "jobs/verify/collection_digest.h"
#include "jobs/verify/verify_acquire.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

struct VerifyCmdOptions {
  std::string database;
  std::vector<std::string> rdbs, files;
  bool quick = false;
  int threads = 0;
  int report_limit = 20;
  std::string hosts;
  std::vector<std::string> placement;
  bool resume = false;
  bool digest = false;
};

// Where verify's acquisitions live. Normally the working dir itself (shardtool/catalog.json, its
// locks and leases). On a Gigablast dir that was never initialised, with --hosts and --host-id, the
// catalog is built in memory and mounted, with the lock files and the leases, at
// <workdir>/shardtool of an overlay whose every other path is read-only: the acquisition machinery
// runs unchanged, nothing is written anywhere, and an attempt to write outside the overlay would
// be an InternalError rather than a modified data file. No other process can see those leases or
// locks; none needs to, since no shardtool merge or cleanup can run on a dir without a catalog.
struct VerifyWorld {
  FileSystem* fs = nullptr;
  std::unique_ptr<MemFileSystem> mem;
  std::unique_ptr<OverlayFileSystem> overlay;
  std::unique_ptr<LockManager> locks;
  std::unique_ptr<CatalogCache> catalogs;
  bool in_memory = false;
};

Status SetUpWorld(Context& ctx, const GlobalOptions& g, const VerifyCmdOptions& o, VerifyWorld* w) {
  w->fs = ctx.fs;
  auto loaded = CatalogCache::Process()->Get(ctx.fs, g.workdir);
  if (loaded.ok()) {
    if (g.host_id >= 0 && g.host_id != (*loaded)->catalog().this_host) {
      return FailedPreconditionStatus("--host-id " + std::to_string(g.host_id) + " but " +
                                      CatalogPath(g.workdir) + " belongs to host " +
                                      std::to_string((*loaded)->catalog().this_host));
    }
    return Status::Ok();
  }
  if (loaded.status().code() != ErrorCode::kNotFound) return loaded.status();
  if (o.hosts.empty() || g.host_id < 0) {
    return NotFoundStatus(
        CatalogPath(g.workdir) +
        " does not exist: run `shardtool init`, or give --hosts FILE and --host-id N " +
        "to verify against Gigablast's hosts.conf without writing anything");
  }
  ASSIGN_OR_RETURN(HostsConf hosts, ReadHostsConf(ctx.fs, ResolvePath(g, o.hosts)));
  ASSIGN_OR_RETURN(Discovery found, DiscoverDatabases(ctx.fs, g.workdir));
  InitRequest req;
  req.hosts = std::move(hosts);
  req.host_id = g.host_id;
  req.databases = std::move(found.databases);
  OpEnv env{RandomUuidGenerator(), ctx.fs->NowMicros() / 1000000};
  ASSIGN_OR_RETURN(OpResult made, InitCatalog(nullptr, req, env));
  w->in_memory = true;
  w->mem = std::make_unique<MemFileSystem>();
  w->overlay = std::make_unique<OverlayFileSystem>(ctx.fs, w->mem.get(), StateDir(g.workdir));
  w->fs = w->overlay.get();
  w->locks = std::make_unique<LockManager>(w->fs);
  w->catalogs = std::make_unique<CatalogCache>();
  RETURN_IF_ERROR(w->fs->CreateDirs(StateDir(g.workdir)));
  CatalogStoreOptions so;
  so.locks = w->locks.get();
  CatalogStore store(w->fs, g.workdir, so);
  auto written =
      store.Update([&](const CatalogStore::Current&) -> Result<OpResult> { return made; }, 0);
  return written.status();
}

Json FileJson(const GlobalOptions& g, const FileVerifyReport& f) {
  Json j;
  j["rdb"] = f.rdb;
  j["file"] = DisplayPath(g, f.file);
  j["id"] = f.id;
  j["bytes"] = f.bytes;
  j["records"] = {{"positive", f.positive}, {"negative", f.negative}};
  j["first_key"] = f.first_key.empty() ? Json(nullptr) : Json(f.first_key);
  j["last_key"] = f.last_key.empty() ? Json(nullptr) : Json(f.last_key);
  const bool checked = f.ownership_checked == "records" || f.ownership_checked == "page_keys";
  j["ownership_checked"] = checked;
  j["ownership_mode"] = f.ownership_checked;
  j["owned"] = f.owned;
  j["not_owned"] = f.not_owned;
  Json by = Json::object();
  for (const auto& [shard, n] : f.not_owned_by_shard) by[std::to_string(shard)] = n;
  j["not_owned_by_shard"] = by;
  Json sample = Json::array();
  for (const MisplacedRecord& m : f.misplaced_sample) {
    sample.push_back({{"key", m.key}, {"offset", m.offset}, {"slot", m.slot}, {"owner", m.owner}});
  }
  j["misplaced_sample"] = sample;
  Json findings = FindingsJson(f.findings);
  for (auto& fd : findings) fd["file"] = DisplayPath(g, fd["file"].get<std::string>());
  j["findings"] = findings;
  Json counts = Json::object();
  for (const auto& [rule, n] : f.rule_counts) counts[rule] = n;
  j["rule_counts"] = counts;
  j["errors"] = f.errors;
  j["notices"] = f.notices;
  j["decoded_completely"] = f.decoded_completely;
  j["seconds"] = f.seconds;
  return j;
}

Json DigestsJson(const std::vector<CollectionDigest>& digests) {
  Json a = Json::array();
  for (const CollectionDigest& d : digests) {
    a.push_back(
        {{"collection", d.ns}, {"rdb", d.rdb}, {"records", d.records}, {"digest", d.digest.Hex()}});
  }
  return a;
}

void PrintText(Context& ctx, const GlobalOptions& g, const VerifyPlan& plan,
               const VerifyReport& r) {
  std::ostream& out = *ctx.out;
  TextTable t({"file", "records", "negative", "not owned", "errors", "notices", "size", "rate"});
  for (const FileVerifyReport& f : r.files) {
    const double rate = f.seconds > 0 ? static_cast<double>(f.bytes) / f.seconds : 0;
    t.AddRow({DisplayPath(g, f.file), std::to_string(f.positive + f.negative),
              std::to_string(f.negative),
              f.ownership_checked == "records" || f.ownership_checked == "page_keys"
                  ? std::to_string(f.not_owned)
                  : (f.ownership_checked == "not_shardable" ? "n/a" : "unchecked"),
              std::to_string(f.errors), std::to_string(f.notices), HumanBytes(f.bytes),
              HumanBytes(static_cast<uint64_t>(rate)) + "/s"});
  }
  if (!g.quiet) t.Print(out);
  for (const FileVerifyReport& f : r.files) {
    if (f.not_owned > 0) {
      std::string by;
      for (const auto& [shard, n] : f.not_owned_by_shard)
        by += " shard " + std::to_string(shard) + ": " + std::to_string(n) + ";";
      out << DisplayPath(g, f.file) << ": " << f.not_owned << " of " << (f.positive + f.negative)
          << " records do not belong to shard " << plan.shard << " (O1):" << by << "\n";
      for (const MisplacedRecord& m : f.misplaced_sample) {
        out << "  offset " << m.offset << " key " << m.key << " slot " << m.slot << " owner shard "
            << m.owner << "\n";
      }
    }
    for (const Finding& fd : f.findings) {
      if (fd.severity == Severity::kNotice && (g.quiet || g.verbose == 0)) continue;
      Finding shown = fd;
      shown.file = DisplayPath(g, fd.file);
      out << SeverityName(fd.severity) << ": " << shown.ToString() << "\n";
    }
    for (const auto& [rule, n] : f.rule_counts) {
      int listed = 0;
      for (const Finding& fd : f.findings) listed += fd.rule == rule;
      if (n > listed) out << "  (" << rule << ": " << n << " in all, " << listed << " listed)\n";
    }
  }
  const VerifySummary& s = r.summary;
  out << "verify " << plan.database << " on host " << plan.host_id << " (shard " << plan.shard
      << "): " << s.files << " files, " << s.records << " records, " << HumanBytes(s.bytes)
      << " in " << HumanDuration(s.seconds) << "; " << s.not_owned << " not owned, " << s.errors
      << " errors, " << s.notices << " notices: " << (r.ok() ? "OK" : "PROBLEMS FOUND") << "\n";
}

int RunVerifyCmd(Context& ctx, const GlobalOptions& g, const VerifyCmdOptions& o) {
  VerifyAcquireRequest req;
  req.selection.database = o.database;
  req.selection.rdbs = o.rdbs;
  req.selection.files = o.files;
  req.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  req.resume = o.resume;
  auto pins = ParsePlacementSpecs(o.placement);
  if (!pins.ok()) return ReportError(ctx, g, pins.status());
  req.pins = *pins;
  VerifyWorld world;
  if (Status s = SetUpWorld(ctx, g, o, &world); !s.ok()) return ReportError(ctx, g, s);

  ShardRoleOptions so;
  so.fs = world.fs;
  so.workdir = g.workdir;
  so.locks = world.locks.get();
  so.catalogs = world.catalogs.get();
  so.job = "verify";
  AcquisitionContext actx(so);
  auto acquired = AcquireVerify(actx, req);
  if (!acquired.ok()) return ReportError(ctx, g, acquired.status());
  const VerifyPlan* plan = &acquired->plan;

  VerifyOptions vo;
  vo.threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  vo.quick = o.quick;
  vo.report_limit = o.report_limit;
  JobRun run(ctx, g, "verify " + o.database);
  vo.stop = run.stop();
  // Every worker passes its records to the one context: MaybeYield counts them with atomics and
  // lets a single thread yield and restore; workers read through their own open files, never
  // through the handles, so a yield (which makes handles unusable) never races with their reads.
  vo.yield = [&actx, &vo]() { return actx.MaybeYield(vo.yield_every); };
  vo.progress = [&run](uint64_t done, uint64_t total) { run.Progress(done, total); };
  auto report = RunVerify(world.fs, plan->collections, vo);
  run.Finish();
  if (!report.ok()) {
    if (report.status().code() == ErrorCode::kInterrupted && !world.in_memory &&
        actx.state() == ContextState::kActive) {
      // Resumable stop (SHARD-ROLE.md §7): the acquisitions go to the journal, the leases stay
      // (stashed, 900 s) so that what this run read is preserved for `verify --resume`.
      Status st = actx.Stash(VerifyStashName(o.database), "");
      if (!st.ok()) return ReportError(ctx, g, st);
      return ReportError(
          ctx, g,
          InterruptedStatus("verify of " + o.database + " interrupted: `shardtool verify " +
                            o.database + " --resume` continues on the same files"));
    }
    // A failed restore ends the run; a worker that hit the dropped collection's missing files
    // before the restore noticed gets the restore's error too (exit 6 rather than an I/O error).
    if (actx.state() == ContextState::kActive && actx.Yield().ok()) {
      if (Status r = actx.Restore(); !r.ok()) return ReportError(ctx, g, r);
    }
    if (actx.state() == ContextState::kFailed) return ReportError(ctx, g, actx.failure());
    return ReportError(ctx, g, report.status());
  }

  std::vector<CollectionDigest> digests;
  if (o.digest) {
    DigestOptions dopt;
    dopt.yield = [&actx, &dopt]() { return actx.MaybeYield(dopt.yield_every); };
    dopt.stop = run.stop();
    for (const VerifyCollection& c : plan->collections) {
      auto d = DigestCollection(world.fs, c, dopt);
      if (!d.ok())
        return ReportError(ctx, g,
                           actx.state() == ContextState::kFailed ? actx.failure() : d.status());
      digests.push_back(std::move(d).value());
    }
  }
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "verify";
    j["database"] = plan->database;
    j["host_id"] = plan->host_id;
    j["shard"] = plan->shard;
    j["catalog"] = {{"epoch", plan->catalog_epoch}, {"version", plan->catalog_version}};
    j["quick"] = o.quick;
    j["resumed"] = acquired->resumed;
    Json files = Json::array();
    for (const FileVerifyReport& f : report->files) files.push_back(FileJson(g, f));
    j["files"] = files;
    const VerifySummary& s = report->summary;
    j["summary"] = {{"files", s.files},    {"records", s.records}, {"not_owned", s.not_owned},
                    {"errors", s.errors},  {"notices", s.notices}, {"bytes", s.bytes},
                    {"seconds", s.seconds}};
    if (o.digest) j["digests"] = DigestsJson(digests);
    j["ok"] = report->ok();
    *ctx.out << j.dump(2) << "\n";
  } else {
    PrintText(ctx, g, *plan, *report);
    for (const CollectionDigest& d : digests) {
      *ctx.out << "digest " << d.ns << ": " << d.records << " visible records, " << d.digest.Hex()
               << "\n";
    }
  }
  return report->ok() ? 0 : 1;
}

}  // namespace

CommandSpec VerifyCommand() {
  return {"verify",
          "deep per-file check of a database's data files: structure, maps, checksums, ownership",
          [](CLI::App* sub) -> CommandRun {
            auto o = std::make_shared<VerifyCmdOptions>();
            sub->add_option("db", o->database, "the database (a Gigablast collection, e.g. main)")
                ->required();
            sub->add_option("--rdb", o->rdbs, "only this Rdb (repeatable)");
            sub->add_option("--file", o->files,
                            "only this data file, e.g. posdb0003.dat (repeatable)");
            sub->add_flag(
                "--quick", o->quick,
                "names, parts, map structure, sidecar sizes and ownership of map page keys only");
            sub->add_option("--threads", o->threads,
                            "files verified in parallel (default: the number of cores)")
                ->check(CLI::PositiveNumber);
            sub->add_option(
                   "--report-limit", o->report_limit,
                   "findings listed per rule and misplaced records sampled per file (default 20)")
                ->check(CLI::NonNegativeNumber);
            sub->add_option(
                "--hosts", o->hosts,
                "hosts.conf to build the catalog from when the dir has none (with --host-id)");
            sub->add_option("--placement", o->placement,
                            "placement concern, repeatable: none (ownership not checked), "
                            "ignored, db=<uuid>/<lastMod>, <ns>=<shard version>");
            sub->add_flag("--resume", o->resume,
                          "adopt the stash of an interrupted verify and finish it on the same "
                          "files");
            sub->add_flag("--digest", o->digest,
                          "digest of each collection's visible records (mirrors compare them)");
            return [o](Context& ctx, const GlobalOptions& g) { return RunVerifyCmd(ctx, g, *o); };
          }};
}

}  // namespace shardtool
