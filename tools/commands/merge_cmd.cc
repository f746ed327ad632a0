// `shardtool merge <db> --rdb R`: Gigablast's merge of consecutive data files of one Rdb, crash-
// safe and resumable (FORMAT.md §8, DESIGN.md §4, §6, §9). Exit 0 merged (or nothing to do),
// 4 busy or orphan cleanup deferred, 9 stopped at a checkpoint (rerun continues), others per
// DESIGN.md §5. SIGINT and SIGTERM stop the merge at its next clean checkpoint.
#include <cmath>
#include <ostream>
#include <sstream>

#include "catalog/ownership_filter.h"
#include "cli/command.h"
#include "cli/job_run.h"
#include "jobs/merge/merge_job.h"
#include "render/json_render.h"
#include "render/text_render.h"

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
  std::vector<std::string> placement;
};

// "10G", "512M", "1.5GiB", "4096": K, M, G, T are powers of 1024.
Result<uint64_t> ParseSize(const std::string& text) {
  size_t end = 0;
  double v = 0;
  try {
    v = std::stod(text, &end);
  } catch (const std::exception&) {
    return UsageErrorStatus("--max-extra-disk " + text + ": not a size (e.g. 20G, 512M)");
  }
  std::string unit = text.substr(end);
  for (const char* suffix : {"iB", "B"}) {
    const std::string s(suffix);
    if (unit.size() > s.size() && unit.compare(unit.size() - s.size(), s.size(), s) == 0) {
      unit.resize(unit.size() - s.size());
      break;
    }
  }
  double mult = 1;
  if (unit == "K" || unit == "k")
    mult = 1024.0;
  else if (unit == "M" || unit == "m")
    mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "g")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "t")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty() && unit != "B") {
    return UsageErrorStatus("--max-extra-disk " + text + ": unknown unit '" + unit + "'");
  }
  if (v <= 0) return UsageErrorStatus("--max-extra-disk " + text + ": must be positive");
  return static_cast<uint64_t>(v * mult);
}

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

Json ReportJson(const GlobalOptions& g, const MergeReport& r) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "merge";
  j["database"] = r.database;
  j["rdb"] = r.rdb;
  Json inputs = Json::array();
  for (const std::string& f : r.inputs) inputs.push_back(f);
  j["inputs"] = inputs;
  j["output"] = r.output.empty() ? Json(nullptr) : Json(r.output);
  j["resumed"] = r.resumed;
  const MergeCounters& c = r.counters;
  j["records_in"] = c.records_in;
  j["records_out"] = c.records_out;
  j["annihilated"] = c.annihilated;
  j["negatives_dropped"] = c.negatives_dropped;
  j["orphans"] = {{"dropped", c.orphans_dropped},
                  {"exported", c.orphans_exported},
                  {"quarantined", c.orphans_dropped - c.orphans_exported},
                  {"deferred", c.orphans_deferred},
                  {"unexpected", c.orphans_unexpected}};
  j["bytes_in"] = c.bytes_in;
  j["bytes_out"] = r.bytes_out;
  j["seconds"] = r.seconds;
  j["dry_run"] = r.dry_run;
  // More than DESIGN.md §9 asks for.
  j["target"] = r.target.empty() ? Json(nullptr) : Json(r.target);
  j["nothing_to_do"] = r.nothing_to_do;
  j["aborted"] = r.aborted;
  j["incorporate_only"] = r.incorporate_only;
  j["note"] = r.note;
  j["negatives_rule"] = r.drop_negatives ? "dropped (the oldest file is merged)" : "kept";
  j["records_in_total"] = r.records_in_total;
  j["bytes_in_total"] = r.bytes_in_total;
  j["peak_extra_disk"] = r.peak_extra_disk;
  j["parts_chopped"] = r.parts_chopped;
  Json bundles = Json::array();
  for (const std::string& b : r.bundles) bundles.push_back(DisplayPath(g, b));
  j["bundles"] = bundles;
  j["slots"] = {{"dropped", SlotRangesText(r.slots_dropped, 100)},
                {"deferred", SlotRangesText(r.slots_deferred, 100)},
                {"unexpected", SlotRangesText(r.slots_unexpected, 100)}};
  Json leases = Json::array();
  for (const std::string& l : r.deferred_leases) leases.push_back(l);
  j["deferred_leases"] = leases;
  Json pinned = Json::array();
  for (const std::string& p : r.pinned_inputs) pinned.push_back(p);
  j["pinned_inputs"] = pinned;
  j["range_deletions_completed"] = r.range_deletions_completed;
  j["ok"] = r.outcome.ok();
  if (!r.outcome.ok()) j["error"] = ErrorJson(r.outcome)["error"];
  return j;
}

void PrintText(Context& ctx, const GlobalOptions& g, const MergeReport& r) {
  std::ostream& out = *ctx.out;
  if (r.nothing_to_do || r.aborted) {
    if (!g.quiet) out << "merge " << r.ns << ": " << r.note << "\n";
    return;
  }
  const MergeCounters& c = r.counters;
  std::string head = "merge " + r.ns + ": " + std::to_string(r.inputs.size()) + " files -> " +
                     (r.output.empty() ? std::string("?") : r.output);
  if (r.dry_run) head += " (dry run: nothing written)";
  if (r.resumed)
    head += r.incorporate_only ? " (finished an interrupted incorporate)" : " (resumed)";
  out << head << "\n";
  if (g.quiet) return;
  struct Lines {
    std::vector<std::pair<std::string, std::string>> rows;
    void AddRow(std::pair<std::string, std::string> r) { rows.push_back(std::move(r)); }
    void Print(std::ostream& out) const {
      for (const auto& [k, v] : rows)
        out << "  " << k << std::string(9 - k.size(), ' ') << v << "\n";
    }
  } t;
  std::string inputs;
  for (const std::string& f : r.inputs) inputs += (inputs.empty() ? "" : " ") + f;
  t.AddRow({"inputs", inputs});
  t.AddRow({"records", std::to_string(c.records_in) + " in, " + std::to_string(c.records_out) +
                           " out, " + std::to_string(c.annihilated) + " annihilated, " +
                           std::to_string(c.negatives_dropped) + " negatives dropped"});
  if (c.orphans_dropped + c.orphans_deferred + c.orphans_unexpected > 0) {
    t.AddRow({"orphans", std::to_string(c.orphans_dropped) + " dropped (" +
                             std::to_string(c.orphans_exported) + " to bundles), " +
                             std::to_string(c.orphans_deferred) + " deferred, " +
                             std::to_string(c.orphans_unexpected) + " unexpected"});
  }
  for (const std::string& b : r.bundles) t.AddRow({"bundle", DisplayPath(g, b)});
  t.AddRow({"bytes", HumanBytes(c.bytes_in) + " in, " + HumanBytes(r.bytes_out) +
                         " out, peak extra disk " + HumanBytes(r.peak_extra_disk) +
                         (r.parts_chopped ? ", " + std::to_string(r.parts_chopped) +
                                                " input parts removed while merging"
                                          : "")});
  const double rate = r.seconds > 0 ? static_cast<double>(c.bytes_in) / r.seconds : 0;
  t.AddRow(
      {"time", HumanDuration(r.seconds) + " (" + HumanBytes(static_cast<uint64_t>(rate)) + "/s)"});
  for (const std::string& p : r.pinned_inputs) {
    t.AddRow({"retired", p + " (a live lease reads it; deleted later)"});
  }
  if (!r.note.empty()) t.AddRow({"note", r.note});
  t.Print(out);
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
    auto size = ParseSize(o.max_extra_disk);
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
      ctx, g, report->outcome, [&] { return ReportJson(g, *report); },
      [&] { PrintText(ctx, g, *report); });
  return report->outcome.exit_status();
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
            ->check(CLI::NonNegativeNumber);
        sub->add_option("--max-extra-disk", o->max_extra_disk,
                        "remove consumed input parts while merging so that the extra disk "
                        "stays under SIZE plus one part per input (e.g. 20G)");
        sub->add_option("--rate", o->rate, "limit reads plus writes to this many MB/s")
            ->check(CLI::PositiveNumber);
        sub->add_flag("--dry-run", o->dry_run,
                      "report the real numbers (records, output size, disk) and write "
                      "nothing");
        sub->add_option("--max-duration", o->max_duration,
                        "stop at a checkpoint after S seconds (exit 9; a rerun continues)")
            ->check(CLI::PositiveNumber);
        sub->add_option("--placement", o->placement,
                        "placement concern, repeatable: none, ignored, db=<uuid>/<lastMod>, "
                        "<ns>=<shard version> (default: the current versions, retried when stale)");
        sub->add_flag("--force", o->force,
                      "merge even though a Gigablast process works in this directory");
        sub->add_flag("--abort", o->abort,
                      "discard the interrupted merge of the Rdb: remove its target and journal, "
                      "inputs untouched");
        return [o](Context& ctx, const GlobalOptions& g) { return RunMergeCmd(ctx, g, *o); };
      }};
}

}  // namespace shardtool
