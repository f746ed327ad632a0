#include "render/merge_render.h"

#include <utility>

#include "catalog/ownership_filter.h"
#include "render/text_render.h"

namespace shardtool {

Json MergeReportJson(const ReportStyle& style, const MergeReport& r) {
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
  j["damaged"] = {
      {"ranges", c.damaged_ranges},
      {"bytes", c.damaged_bytes},
      {"entry", r.damaged_entry.empty() ? Json(nullptr) : Json(style.ShowPath(r.damaged_entry))}};
  j["bytes_in"] = c.bytes_in;
  j["bytes_out"] = r.bytes_out;
  j["seconds"] = r.seconds;
  j["dry_run"] = r.dry_run;
  // More than doc/architecture.md §9 asks for.
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
  for (const std::string& b : r.bundles) bundles.push_back(style.ShowPath(b));
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

void PrintMergeReport(std::ostream& out, const ReportStyle& style, const MergeReport& r) {
  if (r.nothing_to_do || r.aborted) {
    if (!style.quiet) out << "merge " << r.ns << ": " << r.note << "\n";
    return;
  }
  const MergeCounters& c = r.counters;
  std::string head = "merge " + r.ns + ": " + std::to_string(r.inputs.size()) + " files -> " +
                     (r.output.empty() ? std::string("?") : r.output);
  if (r.dry_run) head += " (dry run: nothing written)";
  if (r.resumed)
    head += r.incorporate_only ? " (finished an interrupted incorporate)" : " (resumed)";
  out << head << "\n";
  if (style.quiet) return;
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
  for (const std::string& b : r.bundles) t.AddRow({"bundle", style.ShowPath(b)});
  if (c.damaged_ranges > 0) {
    t.AddRow({"damaged",
              std::to_string(c.damaged_ranges) + " damaged input ranges (" +
                  HumanBytes(c.damaged_bytes) + ") left out" +
                  (r.damaged_entry.empty() ? std::string()
                                           : ", kept in " + style.ShowPath(r.damaged_entry))});
  }
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

}  // namespace shardtool
