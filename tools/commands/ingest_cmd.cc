// `shardtool ingest BUNDLE`: adds a bundle made by `import --stage-dir` or `merge --orphans-to`
// to this host, exactly once (doc/format.md §10.2). Exit 0 ingested (or already), 3 records this
// shard does not own under the same catalog (B5) or a bad target, 5 under another catalog
// version (B5), 8 a corrupt bundle (B1-B4), 9 stopped before the commit (signal, --max-duration).
#include <cmath>
#include <ostream>
#include <utility>

#include "cli/command.h"
#include "cli/job_run.h"
#include "jobs/ingest/ingest_job.h"
#include "render/ingest_render.h"

namespace shardtool {
namespace {

struct IngestCmdOptions {
  std::vector<std::string> bundles;
  bool force = false, dry_run = false;
  double max_duration = 0, rate = 0;
};

int RunIngestCmd(Context& ctx, const GlobalOptions& g, const IngestCmdOptions& o) {
  Json all = Json::array();
  for (const std::string& bundle : o.bundles) {
    IngestRequest req;
    req.workdir = g.workdir;
    req.bundle_dir = ResolvePath(g, bundle);
    req.force = o.force;
    req.dry_run = o.dry_run;
    req.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
    req.max_duration_ms = static_cast<int64_t>(std::ceil(o.max_duration * 1000));
    req.rate_mb_s = o.rate;
    auto r = RunWithJobRun<IngestEnv>(ctx, g, "ingest " + bundle, [&](const IngestEnv& env) {
      return RunIngest(ctx.fs, req, env);
    });
    if (!r.ok()) return ReportError(ctx, g, r.status());
    if (g.json) {
      all.push_back(IngestReportJson(bundle, *r));
    } else if (!g.quiet) {
      PrintIngestReport(*ctx.out, bundle, *r);
    }
  }
  if (g.json) *ctx.out << IngestDocumentJson(std::move(all)).dump(2) << "\n";
  return 0;
}

}  // namespace

CommandSpec IngestCommand() {
  return {"ingest",
          "add staged per-shard bundles (from import --stage-dir or merge --orphans-to) to this "
          "host, exactly once",
          [](CLI::App* sub) -> CommandRun {
            auto o = std::make_shared<IngestCmdOptions>();
            sub->add_option("bundle", o->bundles, "bundle directories")->required();
            sub->add_flag("--dry-run", o->dry_run, "check the bundles and write nothing");
            sub->add_flag("--force", o->force,
                          "write although a Gigablast process works in this directory");
            sub->add_option("--max-duration", o->max_duration,
                            "stop after S seconds if not yet committed: nothing is written (exit "
                            "9; a rerun ingests the bundle)")
                ->check(Positive());
            sub->add_option("--rate", o->rate, "limit writing the new data files to this many MB/s")
                ->check(Positive());
            return [o](Context& ctx, const GlobalOptions& g) { return RunIngestCmd(ctx, g, *o); };
          }};
}

}  // namespace shardtool
