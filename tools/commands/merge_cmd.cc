// `shardtool merge <db> --rdb R`: Gigablast's merge of consecutive data files of one Rdb, crash-
// safe and resumable (doc/format.md §8, doc/architecture.md §4, §6, §9). Exit 0 merged (or nothing
// to do), 1 merged with damaged input left out (--quarantine-bad), 4 busy or orphan cleanup
// deferred, 9 stopped at a checkpoint (rerun continues), others per doc/architecture.md §5. SIGINT
// and SIGTERM stop the merge at its next clean checkpoint.
#include <cmath>
#include <ostream>
#include <sstream>

#include "cli/command.h"
#include "cli/job_run.h"
#include "cli/size_option.h"
#include "jobs/merge/merge_job.h"
#include "render/merge_render.h"

namespace shardtool {
namespace {

struct MergeCmdOptions {
  std::string database;
  std::string rdb;
  std::string files;
  bool all = false;
  bool automatic = false;
  int min_files = 0;
  bool cleanup_orphans = false;
  std::string orphans_to;
  int64_t orphan_delay = -1;
  std::string max_extra_disk;
  double rate = 0;
  bool dry_run = false;
  double max_duration = 0;
  bool force = false;
  bool abort = false;
  bool quarantine_bad = false;
  std::vector<std::string> placement;
};

Result<std::vector<int32_t>> ParseIds(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t end = 0;
      const long v = std::stol(item, &end);
      if (end != item.size() || v < 0 || v > 99999) throw std::invalid_argument(item);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      return UsageErrorStatus("--files " + text + ": '" + item + "' is not a file id");
    }
  }
  return ids;
}

int RunMergeCmd(Context& ctx, const GlobalOptions& g, const MergeCmdOptions& o) {
  MergeRequest req;
  req.workdir = g.workdir;
  req.database = o.database;
  req.rdb = o.rdb;
  const int picked = (!o.files.empty()) + o.all + o.automatic;
  if (picked > 1) {
    return ReportError(ctx, g, UsageErrorStatus("give one of --files, --all and --auto"));
  }
  if (o.abort && (picked > 0 || o.dry_run)) {
    return ReportError(
        ctx, g, UsageErrorStatus("--abort takes none of --files, --all, --auto and --dry-run"));
  }
  req.abort = o.abort;
  req.quarantine_bad = o.quarantine_bad;
  req.selection = !o.files.empty() ? MergeSelection::kFiles
                                   : (o.all ? MergeSelection::kAll : MergeSelection::kAuto);
  if (!o.files.empty()) {
    auto ids = ParseIds(o.files);
    if (!ids.ok()) return ReportError(ctx, g, ids.status());
    req.file_ids = *ids;
  }
  req.min_files = o.min_files;
  req.cleanup_orphans = o.cleanup_orphans;
  if (!o.orphans_to.empty()) req.orphans_to = ResolvePath(g, o.orphans_to);
  if (o.orphan_delay >= 0) req.orphan_delay = o.orphan_delay;
  if (!o.max_extra_disk.empty()) {
    auto size = ParseSizeOption("--max-extra-disk", o.max_extra_disk, "20G, 512M");
    if (!size.ok()) return ReportError(ctx, g, size.status());
    req.max_extra_disk = *size;
  }
  req.rate_mb_s = o.rate;
  req.dry_run = o.dry_run;
  req.max_duration_ms = static_cast<int64_t>(std::ceil(o.max_duration * 1000));
  req.force = o.force;
  req.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  auto pins = ParsePlacementSpecs(o.placement);
  if (!pins.ok()) return ReportError(ctx, g, pins.status());
  req.pins = *pins;

  auto report =
      RunWithJobRun<MergeEnv>(ctx, g, "merge " + o.database + "." + o.rdb,
                              [&](const MergeEnv& env) { return RunMerge(ctx.fs, req, env); });
  if (!report.ok()) return ReportError(ctx, g, report.status());
  PrintJobReport(
      ctx, g, report->outcome, [&] { return MergeReportJson(StyleOf(g), *report); },
      [&] { PrintMergeReport(*ctx.out, StyleOf(g), *report); });
  return report->exit_status();
}

}  // namespace

CommandSpec MergeCommand() {
  return {
      "merge",
      "merge consecutive data files of one Rdb as Gigablast does: crash-safe, resumable, "
      "within a disk budget, orphans out",
      [](CLI::App* sub) -> CommandRun {
        auto o = std::make_shared<MergeCmdOptions>();
        sub->add_option("db", o->database, "the database (a Gigablast collection, e.g. main)")
            ->required();
        sub->add_option("--rdb", o->rdb, "the Rdb (collection) to merge, e.g. posdb")->required();
        sub->add_option("--files", o->files,
                        "merge these consecutive file ids, e.g. 3,5,7 (oldest first)");
        sub->add_flag("--all", o->all, "merge every file of the Rdb");
        sub->add_flag("--auto", o->automatic,
                      "Gigablast's choice: resume an interrupted merge, else its window of "
                      "files (the default)");
        sub->add_option("--min-files", o->min_files,
                        "--auto merges only from this many files on (default 6)")
            ->check(CLI::Range(2, 1000));
        sub->add_flag("--cleanup-orphans", o->cleanup_orphans,
                      "leave out records of slots this shard no longer owns, where the "
                      "range deletion is ready (to the quarantine unless --orphans-to)");
        sub->add_option("--orphans-to", o->orphans_to,
                        "write dropped orphans as per-owner bundles into DIR (implies "
                        "--cleanup-orphans)");
        sub->add_option("--orphan-delay", o->orphan_delay,
                        "a range deletion is ready SEC seconds after the slots moved "
                        "(instead of its readyAfter)")
            ->check(AtLeast(0));
        sub->add_option("--max-extra-disk", o->max_extra_disk,
                        "remove consumed input parts while merging so that the extra disk "
                        "stays under SIZE plus one part per input (e.g. 20G)");
        sub->add_option("--rate", o->rate, "limit reads plus writes to this many MB/s")
            ->check(Positive());
        sub->add_flag("--dry-run", o->dry_run,
                      "report the real numbers (records, output size, disk) and write "
                      "nothing");
        sub->add_option("--max-duration", o->max_duration,
                        "stop at a checkpoint after S seconds (exit 9; a rerun continues)")
            ->check(Positive());
        sub->add_option("--placement", o->placement,
                        "placement concern, repeatable: none, ignored, db=<uuid>/<lastMod>, "
                        "<ns>=<shard version> (default: the current versions, retried when stale)");
        sub->add_flag("--force", o->force,
                      "merge even though a Gigablast process works in this directory");
        sub->add_flag("--quarantine-bad", o->quarantine_bad,
                      "leave input pages that fail their checksum or do not decode out, into "
                      "the quarantine, and finish the merge (exit 1) instead of stopping (exit 8)");
        sub->add_flag("--abort", o->abort,
                      "discard the interrupted merge of the Rdb: remove its target and journal, "
                      "inputs untouched");
        return [o](Context& ctx, const GlobalOptions& g) { return RunMergeCmd(ctx, g, *o); };
      }};
}

}  // namespace shardtool
