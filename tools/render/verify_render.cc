#include "render/verify_render.h"

#include "render/text_render.h"
#include "render/tree_render.h"

namespace shardtool {
namespace {

Json VerifyFileJson(const ReportStyle& style, const FileVerifyReport& f) {
  Json j;
  j["rdb"] = f.rdb;
  j["file"] = style.ShowPath(f.file);
  j["id"] = f.id;
  j["bytes"] = f.bytes;
  j["records"] = {{"positive", f.positive}, {"negative", f.negative}};
  j["first_key"] = f.first_key.empty() ? Json(nullptr) : Json(f.first_key);
  j["last_key"] = f.last_key.empty() ? Json(nullptr) : Json(f.last_key);
  const bool checked = f.ownership_checked == "records" || f.ownership_checked == "page_keys";
  j["ownership_checked"] = checked;
  AddOwnershipAndFindingsJson(j, f, [&style](const std::string& p) { return style.ShowPath(p); });
  j["seconds"] = f.seconds;
  return j;
}

}  // namespace

void PrintVerifyReport(std::ostream& out, const ReportStyle& style, const VerifyJobResult& result) {
  const VerifyPlan& plan = result.plan;
  const VerifyReport& r = result.report;
  TextTable t({"file", "records", "negative", "not owned", "errors", "notices", "size", "rate"});
  for (const FileVerifyReport& f : r.files) {
    const double rate = f.seconds > 0 ? static_cast<double>(f.bytes) / f.seconds : 0;
    t.AddRow({style.ShowPath(f.file), std::to_string(f.positive + f.negative),
              std::to_string(f.negative),
              f.ownership_checked == "records" || f.ownership_checked == "page_keys"
                  ? std::to_string(f.not_owned)
                  : (f.ownership_checked == "not_shardable" ? "n/a" : "unchecked"),
              std::to_string(f.errors), std::to_string(f.notices), HumanBytes(f.bytes),
              HumanBytes(static_cast<uint64_t>(rate)) + "/s"});
  }
  if (!style.quiet) t.Print(out);
  for (const FileVerifyReport& f : r.files) {
    if (f.not_owned > 0) {
      std::string by;
      for (const auto& [shard, n] : f.not_owned_by_shard)
        by += " shard " + std::to_string(shard) + ": " + std::to_string(n) + ";";
      out << style.ShowPath(f.file) << ": " << f.not_owned << " of " << (f.positive + f.negative)
          << " records do not belong to shard " << plan.shard << " (O1):" << by << "\n";
      for (const MisplacedRecord& m : f.misplaced_sample) {
        out << "  offset " << m.offset << " key " << m.key << " slot " << m.slot << " owner shard "
            << m.owner << "\n";
      }
    }
    for (const Finding& fd : f.findings) {
      if (fd.severity == Severity::kNotice && (style.quiet || style.verbose == 0)) continue;
      Finding shown = fd;
      shown.file = style.ShowPath(fd.file);
      out << SeverityName(fd.severity) << ": " << shown.ToString() << "\n";
    }
    for (const auto& [rule, n] : f.rule_counts) {
      int listed = 0;
      for (const Finding& fd : f.findings) listed += fd.rule == rule;
      if (n > listed) out << "  (" << rule << ": " << n << " in all, " << listed << " listed)\n";
    }
  }
  PrintTreeVerify(
      out, r.trees, [&style](const std::string& p) { return style.ShowPath(p); }, plan.shard,
      !style.quiet, !style.quiet && style.verbose > 0);
  const VerifySummary& s = r.summary;
  if (!r.trees.empty())
    out << "trees: " << s.trees << " saved trees, " << s.tree_records << " records\n";
  for (const CollectionDigest& d : result.report.digests) {
    if (d.complete) {
      out << "digest " << d.ns << ": " << d.records << " visible records, " << d.digest.Hex()
          << "\n";
    } else {
      out << "digest " << d.ns << ": incomplete, no digest: " << style.ShowPath(d.incomplete)
          << "\n";
    }
  }
  out << "verify " << plan.database << " on host " << plan.host_id << " (shard " << plan.shard
      << "): " << s.files << " files, " << s.records << " records, " << HumanBytes(s.bytes)
      << " in " << HumanDuration(s.seconds) << "; " << s.not_owned << " not owned, " << s.errors
      << " errors, " << s.notices << " notices: " << (r.ok() ? "OK" : "PROBLEMS FOUND") << "\n";
}

Json VerifyReportJson(const ReportStyle& style, bool quick, bool digest,
                      const VerifyJobResult& result) {
  const VerifyPlan* plan = &result.plan;
  const VerifyReport* report = &result.report;
  Json j;
  j["schema_version"] = 1;
  j["command"] = "verify";
  j["database"] = plan->database;
  j["host_id"] = plan->host_id;
  j["shard"] = plan->shard;
  j["catalog"] = {{"epoch", plan->catalog_epoch}, {"version", plan->catalog_version}};
  j["quick"] = quick;
  j["resumed"] = result.resumed;
  Json files = Json::array();
  for (const FileVerifyReport& f : report->files) files.push_back(VerifyFileJson(style, f));
  j["files"] = files;
  Json trees = Json::array();
  for (const TreeVerifyReport& t : report->trees)
    trees.push_back(
        TreeVerifyJson(t, [&style](const std::string& p) { return style.ShowPath(p); }));
  j["trees"] = trees;
  const VerifySummary& s = report->summary;
  j["summary"] = {{"files", s.files},    {"records", s.records}, {"not_owned", s.not_owned},
                  {"errors", s.errors},  {"notices", s.notices}, {"bytes", s.bytes},
                  {"seconds", s.seconds}};
  j["summary"]["trees"] = s.trees;
  j["summary"]["tree_records"] = s.tree_records;
  if (digest) {
    Json a = Json::array();
    for (const CollectionDigest& d : result.report.digests) {
      Json e = {{"collection", d.ns},
                {"rdb", d.rdb},
                {"records", d.records},
                {"digest", d.complete ? Json(d.digest.Hex()) : Json(nullptr)},
                {"complete", d.complete}};
      if (!d.complete) e["incomplete"] = style.ShowPath(d.incomplete);
      a.push_back(std::move(e));
    }
    j["digests"] = a;
  }
  j["ok"] = report->ok();
  return j;
}

}  // namespace shardtool
