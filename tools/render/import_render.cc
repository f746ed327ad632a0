#include "render/import_render.h"

#include "render/text_render.h"

namespace shardtool {

Json ImportReportJson(const ImportReport& r) {
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

void PrintImportReport(std::ostream& out, std::ostream& err, const ReportStyle& style,
                       const ImportReport& r) {
  for (const std::string& w : r.warnings) err << "warning: " << w << "\n";
  if (r.nothing_to_do) {
    out << "import " << r.database << "." << r.rdb << " from " << r.source_dir
        << ": nothing to do (already imported up to file " << r.bookmark.file_id << " offset "
        << r.bookmark.offset << ")\n";
    return;
  }
  out << "import " << r.database << "." << r.rdb << " from " << r.source_dir
      << (r.dry_run ? " (dry run: nothing written)" : "") << (r.resumed ? " (resumed)" : "")
      << "\n";
  if (style.quiet) return;
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

}  // namespace shardtool
