// `shardtool import --dir D --db NAME`: bulk inject of another cluster's data files, routed to the
// owning shards, exactly once and resumable (issue 6, doc/format.md §9, doc/architecture.md §4,
// §9). Exit 0 imported (or nothing to do), 1 findings or quarantined records, 3 bad source dir or
// target, 4 busy, 5 placement changed (rerun continues), 9 stopped (rerun continues).
#include <cmath>
#include <filesystem>
#include <ostream>

#include "cli/command.h"
#include "cli/job_run.h"
#include "cli/size_option.h"
#include "jobs/import/import_job.h"
#include "render/import_render.h"

namespace shardtool {
namespace {

struct ImportCmdOptions {
  std::string dir, database, rdb = "titledb", bookmark, stage_dir, memory = "256M",
                             commit_every = "4G";
  int max_inflight = 4;
  bool dry_run = false, force = false;
  double max_duration = 0;
  double rate = 0;
};

// --memory and --commit-every: at least 1M.
constexpr uint64_t kMinImportSize = 1024 * 1024;
constexpr const char* kImportSizeExample = "256M, 2G";

int RunImportCmd(Context& ctx, const GlobalOptions& g, const ImportCmdOptions& o) {
  ImportRequest req;
  req.workdir = g.workdir;
  req.database = o.database;
  req.rdb = o.rdb;
  std::string dir = ResolvePath(g, o.dir);
  std::error_code ec;
  const auto canon = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec);
  if (!ec) dir = canon.string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  req.source_dir = dir;
  if (!o.bookmark.empty()) req.legacy_bookmark = ResolvePath(g, o.bookmark);
  if (!o.stage_dir.empty()) req.stage_dir = ResolvePath(g, o.stage_dir);
  auto mem = ParseSizeOption("--memory", o.memory, kImportSizeExample, kMinImportSize);
  if (!mem.ok()) return ReportError(ctx, g, mem.status());
  req.memory = *mem;
  auto every =
      ParseSizeOption("--commit-every", o.commit_every, kImportSizeExample, kMinImportSize);
  if (!every.ok()) return ReportError(ctx, g, every.status());
  req.commit_every = *every;
  req.max_inflight = o.max_inflight;
  req.dry_run = o.dry_run;
  req.force = o.force;
  req.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  req.max_duration_ms = static_cast<int64_t>(std::ceil(o.max_duration * 1000));
  req.rate_mb_s = o.rate;

  auto report =
      RunWithJobRun<ImportEnv>(ctx, g, "import " + o.database + "." + o.rdb,
                               [&](const ImportEnv& env) { return RunImport(ctx.fs, req, env); });
  if (!report.ok()) return ReportError(ctx, g, report.status());
  PrintJobReport(
      ctx, g, report->outcome, [&] { return ImportReportJson(*report); },
      [&] { PrintImportReport(*ctx.out, *ctx.err, StyleOf(g), *report); });
  return report->exit_status();
}

}  // namespace

CommandSpec ImportCommand() {
  return {
      "import",
      "bulk inject another cluster's data files (titledb by default), routed to the owning "
      "shards, exactly once, resumable",
      [](CLI::App* sub) -> CommandRun {
        auto o = std::make_shared<ImportCmdOptions>();
        sub->add_option("--dir", o->dir, "the source directory (another cluster's coll dir)")
            ->required();
        sub->add_option("--db", o->database, "the database to import into, e.g. main")->required();
        sub->add_option("--rdb", o->rdb, "the Rdb of the source files (default titledb)");
        sub->add_option("--bookmark", o->bookmark,
                        "Gigablast's bookmark file (default "
                        "<workdir>/lasttitledbinjectinfo.dat), read when no exact bookmark "
                        "exists and kept up to date");
        sub->add_option("--max-inflight", o->max_inflight, "target writes at once (default 4)")
            ->check(CLI::Range(1, 64));
        sub->add_option("--memory", o->memory,
                        "memory for records (default 256M): read in batches of half of it; "
                        "a full batch is sorted and spilled as zstd runs");
        sub->add_option("--commit-every", o->commit_every,
                        "source bytes per commit (default 4G): each commit merges its runs "
                        "into one new data file per host and advances the bookmark");
        sub->add_option("--stage-dir", o->stage_dir,
                        "write the records of shards with hosts not on this machine as "
                        "bundles into DIR (for shardtool ingest)");
        sub->add_flag("--dry-run", o->dry_run,
                      "report files, records, negatives, findings and routing; write nothing");
        sub->add_option("--max-duration", o->max_duration,
                        "stop after S seconds: commit what was read (exit 9; a rerun continues)")
            ->check(Positive());
        sub->add_option("--rate", o->rate, "limit reading the source to this many MB/s")
            ->check(Positive());
        sub->add_flag("--force", o->force,
                      "write although a Gigablast process works in a target dir");
        return [o](Context& ctx, const GlobalOptions& g) { return RunImportCmd(ctx, g, *o); };
      }};
}

}  // namespace shardtool
