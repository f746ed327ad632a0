#include "render/misplaced_render.h"

#include "catalog/ownership_filter.h"

namespace shardtool {
namespace {

// {"<shard>": n, ...}
Json ByOwnerJson(const std::map<int32_t, int64_t>& by_owner) {
  Json j = Json::object();
  for (const auto& [shard, n] : by_owner) j[std::to_string(shard)] = n;
  return j;
}

std::string ByOwnerText(const std::map<int32_t, int64_t>& by_owner) {
  std::string s;
  for (const auto& [shard, n] : by_owner) {
    s += (s.empty() ? "" : ", ") + std::to_string(n) + " to shard " + std::to_string(shard);
  }
  return s;
}

}  // namespace

Json MisplacedReportJson(const ReportStyle& style, const MisplacedReport& r) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "repair misplaced";
  j["database"] = r.database;
  j["host_id"] = r.host_id;
  j["shard"] = r.shard;
  j["to"] = style.ShowPath(r.to);
  j["dry_run"] = r.dry_run;
  Json rdbs = Json::array();
  for (const MisplacedRdbReport& x : r.rdbs) {
    Json b = Json::array();
    for (const MisplacedBundle& bundle : x.bundles) {
      b.push_back({{"dir", style.ShowPath(bundle.dir)},
                   {"target_shard", bundle.target_shard},
                   {"target_shard_version", bundle.target_shard_version},
                   {"records", bundle.records}});
    }
    Json leases = Json::array();
    for (const std::string& l : x.deferred_leases) leases.push_back(l);
    rdbs.push_back({{"rdb", x.rdb},
                    {"ns", x.ns},
                    {"misplaced", x.misplaced},
                    {"by_owner", ByOwnerJson(x.by_owner)},
                    {"deferred", x.deferred},
                    {"slots_deferred", SlotRangesText(x.slots_deferred, 100)},
                    {"deferred_leases", leases},
                    {"orphans_left", x.orphans_left},
                    {"merged", x.merged},
                    {"resumed", x.resumed},
                    {"records_in", x.records_in},
                    {"records_out", x.records_out},
                    {"bundles", b},
                    {"to", style.ShowPath(x.to)},
                    {"note", x.note}});
  }
  j["rdbs"] = rdbs;
  j["summary"] = {{"misplaced", r.misplaced},
                  {"by_owner", ByOwnerJson(r.by_owner)},
                  {"deferred", r.deferred},
                  {"orphans_left", r.orphans_left},
                  {"seconds", r.seconds}};
  j["ok"] = r.outcome.ok();
  if (!r.outcome.ok()) j["error"] = ErrorJson(r.outcome)["error"];
  return j;
}

void PrintMisplacedReport(std::ostream& out, const ReportStyle& style, const MisplacedReport& r) {
  std::string head = "repair misplaced " + r.database + ": ";
  if (r.misplaced == 0 && r.deferred == 0) {
    head += "nothing misplaced, nothing written";
  } else {
    head += std::to_string(r.misplaced) + " misplaced records " +
            (r.dry_run ? "to export (dry run: nothing written)" : "exported") +
            (r.by_owner.empty() ? std::string() : " (" + ByOwnerText(r.by_owner) + ")");
    if (r.deferred > 0) head += ", " + std::to_string(r.deferred) + " kept by leases";
  }
  out << head << "\n";
  if (style.quiet) return;
  for (const MisplacedRdbReport& x : r.rdbs) {
    std::string line = "  " + x.rdb + ": ";
    if (!x.note.empty() && x.misplaced == 0 && x.deferred == 0) {
      line += x.note;
    } else {
      line += std::to_string(x.misplaced) + " misplaced";
      if (!x.by_owner.empty()) line += " (" + ByOwnerText(x.by_owner) + ")";
      if (x.deferred > 0) {
        line += ", " + std::to_string(x.deferred) + " kept (slots " +
                SlotRangesText(x.slots_deferred, 20) + ": a live lease includes them)";
      }
      if (x.resumed) line += " (resumed)";
    }
    if (x.orphans_left > 0) {
      line += "; " + std::to_string(x.orphans_left) +
              " orphans under range deletions left to merge --orphans-to";
    }
    out << line << "\n";
    for (const MisplacedBundle& b : x.bundles) {
      out << "    bundle " << style.ShowPath(b.dir) << " (" << b.records << " records for shard "
          << b.target_shard << ")\n";
    }
  }
  out << "  time " << HumanDuration(r.seconds) << "\n";
}

}  // namespace shardtool
