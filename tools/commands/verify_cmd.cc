// `shardtool verify <db>`: the deep per-file check of a database's data files on this host
// (doc/architecture.md §4, §9). Exit 0 clean, 1 findings (an error finding or a record this shard
// does not own), others per doc/architecture.md §5. Read-only: nothing is written anywhere.
#include <algorithm>
#include <optional>
#include <ostream>
#include <thread>

#include "acquire/router.h"
#include "cli/command.h"
#include "cli/job_run.h"
#include "jobs/verify/verify_run.h"
#include "render/verify_render.h"

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
  bool no_tree = false;
  bool digest = false;
};

int RunVerifyCmd(Context& ctx, const GlobalOptions& g, const VerifyCmdOptions& o) {
  VerifyJobRequest req;
  req.workdir = g.workdir;
  req.host_id = g.host_id;
  if (!o.hosts.empty()) req.hosts_conf = ResolvePath(g, o.hosts);
  req.acquire.selection.database = o.database;
  req.acquire.selection.rdbs = o.rdbs;
  req.acquire.selection.files = o.files;
  req.acquire.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  req.acquire.resume = o.resume;
  auto pins = ParsePlacementSpecs(o.placement);
  if (!pins.ok()) return ReportError(ctx, g, pins.status());
  req.acquire.pins = *pins;
  VerifyOptions& vo = req.options;
  vo.threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  vo.quick = o.quick;
  vo.report_limit = o.report_limit;
  vo.trees = !o.no_tree && o.files.empty();
  vo.digest = o.digest;

  // The signal handlers and the progress bar from the moment the acquisitions are held.
  std::optional<JobRun> run;
  req.on_acquired = [&](VerifyOptions* opt) {
    run.emplace(ctx, g, "verify " + o.database);
    opt->stop = run->stop();
    opt->progress = [&run](uint64_t done, uint64_t total) { run->Progress(done, total); };
  };
  auto result = RunVerifyJob(ctx.fs, req);
  if (run) run->Finish();
  if (!result.ok()) return ReportError(ctx, g, result.status());
  if (g.json) {
    *ctx.out << VerifyReportJson(StyleOf(g), o.quick, o.digest, *result).dump(2) << "\n";
  } else {
    PrintVerifyReport(*ctx.out, StyleOf(g), *result);
  }
  return result->report.ok() ? 0 : 1;
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
            CLI::Option* quick = sub->add_flag(
                "--quick", o->quick,
                "names, parts, map structure, sidecar sizes and ownership of map page keys only");
            sub->add_option("--threads", o->threads,
                            "files verified in parallel (default: the number of cores)")
                ->check(Positive());
            sub->add_option(
                   "--report-limit", o->report_limit,
                   "findings listed per rule and misplaced records sampled per file (default 20)")
                ->check(AtLeast(0));
            sub->add_option(
                "--hosts", o->hosts,
                "hosts.conf to build the catalog from when the dir has none (with --host-id)");
            sub->add_option("--placement", o->placement,
                            "placement concern, repeatable: none (ownership not checked), "
                            "ignored, db=<uuid>/<lastMod>, <ns>=<shard version>");
            sub->add_flag("--no-tree", o->no_tree,
                          "skip the saved in-memory trees (<rdb>-saved.dat, "
                          "<rdb>-buckets-saved.dat) of the working dir");
            sub->add_flag("--digest", o->digest,
                          "digest of each collection's visible records, from the same pass "
                          "(mirrors compare them; not with --quick)")
                ->excludes(quick);
            sub->add_flag("--resume", o->resume,
                          "adopt the stash of an interrupted verify and finish it on the same "
                          "files");
            return [o](Context& ctx, const GlobalOptions& g) { return RunVerifyCmd(ctx, g, *o); };
          }};
}

}  // namespace shardtool
