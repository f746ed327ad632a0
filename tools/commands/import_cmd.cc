// `shardtool import --dir D --db NAME`: bulk inject of another cluster's data files, routed to the
// owning shards, exactly once and resumable (issue 6, doc/format.md §9, doc/architecture.md §4,
// §9). Exit 0 imported (or nothing to do), 1 findings or quarantined records, 3 bad source dir or
// target, 4 busy, 5 placement changed (rerun continues), 9 stopped (rerun continues).
#include <cmath>
#include <filesystem>
#include <ostream>

#include "cli/command.h"
#include "cli/job_run.h"
#include "jobs/import/import_job.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

struct ImportCmdOptions {
  std::string dir, database, rdb = "titledb", bookmark, stage_dir, memory = "256M",
                             commit_every = "4G";
  int max_inflight = 4;
  bool dry_run = false, force = false;
  double max_duration = 0;
};

// A size with an optional K, M or G unit (binary), at least 1M. flag names the option in errors.
Result<uint64_t> ParseImportSize(const std::string& flag, const std::string& text) {
  size_t end = 0;
  double v = 0;
  try {
    v = std::stod(text, &end);
  } catch (const std::exception&) {
    return UsageErrorStatus(flag + " " + text + ": not a size (e.g. 256M, 2G)");
  }
  std::string unit = text.substr(end);
  if (unit.size() > 1 && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() > 1 && unit.back() == 'i') unit.pop_back();
  double mult = 1;
  if (unit == "K" || unit == "k") {
    mult = 1024.0;
  } else if (unit == "M" || unit == "m") {
    mult = 1024.0 * 1024;
  } else if (unit == "G" || unit == "g") {
    mult = 1024.0 * 1024 * 1024;
  } else if (!unit.empty() && unit != "B") {
    return UsageErrorStatus(flag + " " + text + ": unknown unit '" + unit + "'");
  }
  if (v * mult < 1024 * 1024) return UsageErrorStatus(flag + " " + text + ": at least 1M");
  return static_cast<uint64_t>(v * mult);
}

Json ReportJson(const ImportReport& r) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "import";
  j["database"] = r.database;
  j["rdb"] = r.rdb;
  j["source_dir"] = r.source_dir;
  j["resumed"] = r.resumed;
  Json files = Json::array();
  for (const ImportFileReport& f : r.files) {
    Json findings = Json::array();
    for (const Finding& x : f.findings) findings.push_back(FindingJson(x));
    files.push_back({{"file", f.file},
                     {"id", f.id},
                     {"records", f.records},
                     {"negatives_skipped", f.negatives_skipped},
                     {"quarantined", f.quarantined},
                     {"findings", findings}});
  }
  j["files"] = files;
  Json routed = Json::object();
  for (const auto& [shard, n] : r.routed) routed[std::to_string(shard)] = n;
  j["routed"] = routed;
  j["records"] = r.records;
  j["negatives_skipped"] = r.negatives_skipped;
  j["duplicates_superseded"] = r.duplicates_superseded;
  j["quarantined"] = r.quarantined;
  j["bookmark"] = {{"file_id", r.bookmark.file_id}, {"offset", r.bookmark.offset}};
  j["seconds"] = r.seconds;
  j["dry_run"] = r.dry_run;
  j["nothing_to_do"] = r.nothing_to_do;
  j["batches"] = r.batches;
  j["runs_spilled"] = r.runs_spilled;
  j["run_merges"] = r.run_merges;
  j["spill_bytes"] = r.spill_bytes;
  j["bytes_read"] = r.bytes_read;
  j["bytes_written"] = r.bytes_written;
  Json targets = Json::array();
  for (const ImportTargetReport& t : r.targets) {
    Json tf = Json::array();
    for (const std::string& f : t.files) tf.push_back(f);
    targets.push_back({{"target", t.name},
                       {"shard", t.shard},
                       {"records", t.records},
                       {"already_held", t.skipped_held},
                       {"bytes", t.bytes},
                       {"files", tf}});
  }
  j["targets"] = targets;
  Json q = Json::array();
  for (const std::string& e : r.quarantine_entries) q.push_back(e);
  j["quarantine_entries"] = q;
  Json findings = Json::array();
  for (const Finding& x : r.findings) findings.push_back(FindingJson(x));
  j["findings"] = findings;
  Json warnings = Json::array();
  for (const std::string& w : r.warnings) warnings.push_back(w);
  j["warnings"] = warnings;
  j["ok"] = r.exit_status() == 0;
  if (!r.outcome.ok()) j["error"] = ErrorJson(r.outcome)["error"];
  return j;
}

void PrintText(Context& ctx, const GlobalOptions& g, const ImportReport& r) {
  std::ostream& out = *ctx.out;
  for (const std::string& w : r.warnings) *ctx.err << "warning: " << w << "\n";
  if (r.nothing_to_do) {
    out << "import " << r.database << "." << r.rdb << " from " << r.source_dir
        << ": nothing to do (already imported up to file " << r.bookmark.file_id << " offset "
        << r.bookmark.offset << ")\n";
    return;
  }
  out << "import " << r.database << "." << r.rdb << " from " << r.source_dir
      << (r.dry_run ? " (dry run: nothing written)" : "") << (r.resumed ? " (resumed)" : "")
      << "\n";
  if (g.quiet) return;
  for (const ImportFileReport& f : r.files) {
    out << "  " << f.file << ": " << f.records << " records, " << f.negatives_skipped
        << " negatives skipped"
        << (f.quarantined ? ", " + std::to_string(f.quarantined) + " quarantined" : "") << "\n";
    for (const Finding& x : f.findings) out << "    " << x.ToString() << "\n";
  }
  for (const Finding& x : r.findings) out << "  " << x.ToString() << "\n";
  std::string routed;
  for (const auto& [shard, n] : r.routed) {
    routed += (routed.empty() ? "" : ", ") + std::string("shard ") + std::to_string(shard) + ": " +
              std::to_string(n);
  }
  out << "  routed     " << (routed.empty() ? "nothing" : routed) << "\n";
  for (const ImportTargetReport& t : r.targets) {
    if (r.dry_run) break;  // nothing was written
    out << "  " << t.name << " (shard " << t.shard << "): " << t.records << " records written";
    if (t.skipped_held) out << ", " << t.skipped_held << " already there";
    for (const std::string& f : t.files) out << "\n      " << f;
    out << "\n";
  }
  if (r.runs_spilled > 0) {
    out << "  spilled    " << r.runs_spilled << " sorted runs (" << HumanBytes(r.spill_bytes)
        << " compressed), " << r.run_merges << " run merges, in " << r.batches << " commits\n";
  }
  out << "  skipped    " << r.negatives_skipped << " negatives, " << r.duplicates_superseded
      << " older duplicates; quarantined " << r.quarantined << "\n";
  const double rate = r.seconds > 0 ? static_cast<double>(r.bytes_read) / r.seconds : 0;
  out << "  time       " << HumanDuration(r.seconds) << " ("
      << HumanBytes(static_cast<uint64_t>(rate)) << "/s read, " << HumanBytes(r.bytes_written)
      << " written)\n";
  out << "  bookmark   " << (r.dry_run ? "(not written) would reach " : "") << "file "
      << r.bookmark.file_id << " offset " << r.bookmark.offset << "\n";
}

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
  auto mem = ParseImportSize("--memory", o.memory);
  if (!mem.ok()) return ReportError(ctx, g, mem.status());
  req.memory = *mem;
  auto every = ParseImportSize("--commit-every", o.commit_every);
  if (!every.ok()) return ReportError(ctx, g, every.status());
  req.commit_every = *every;
  req.max_inflight = o.max_inflight;
  req.dry_run = o.dry_run;
  req.force = o.force;
  req.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  req.max_duration_ms = static_cast<int64_t>(std::ceil(o.max_duration * 1000));

  auto report =
      RunWithJobRun<ImportEnv>(ctx, g, "import " + o.database + "." + o.rdb,
                               [&](const ImportEnv& env) { return RunImport(ctx.fs, req, env); });
  if (!report.ok()) return ReportError(ctx, g, report.status());
  PrintJobReport(
      ctx, g, report->outcome, [&] { return ReportJson(*report); },
      [&] { PrintText(ctx, g, *report); });
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
        sub->add_flag("--force", o->force,
                      "write although a Gigablast process works in a target dir");
        return [o](Context& ctx, const GlobalOptions& g) { return RunImportCmd(ctx, g, *o); };
      }};
}

}  // namespace shardtool
