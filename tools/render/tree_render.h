// Rendering of Gigablast's saved in-memory trees: `inspect tree` and verify's "tree" rows and
// "trees" array (man/shardtool-inspect.1, man/shardtool-verify.1).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "jobs/inspect/inspect_tree.h"
#include "jobs/verify/tree_verifier.h"
#include "render/json_render.h"

namespace shardtool {

using PathShown = std::function<std::string(const std::string&)>;

// `limit`: records listed (0 = all); the counts are always over the whole file.
Json TreeInspectJson(const TreeInspectReport& r, const PathShown& shown, uint64_t limit);
void PrintTreeInspect(std::ostream& out, const TreeInspectReport& r, const PathShown& shown,
                      uint64_t limit);

Json MisplacedJson(const std::vector<MisplacedRecord>& v);
// Findings with their "file" as `shown` displays it.
Json ShownFindings(const std::vector<Finding>& findings, const PathShown& shown);

// The members verify's file rows and tree rows share, in their order: "ownership_mode" through
// "decoded_completely" ("ownership_checked", which each decides its own way, comes before).
template <class Report>
void AddOwnershipAndFindingsJson(Json& j, const Report& r, const PathShown& shown) {
  j["ownership_mode"] = r.ownership_checked;
  j["owned"] = r.owned;
  j["not_owned"] = r.not_owned;
  Json by = Json::object();
  for (const auto& [shard, n] : r.not_owned_by_shard) by[std::to_string(shard)] = n;
  j["not_owned_by_shard"] = by;
  j["misplaced_sample"] = MisplacedJson(r.misplaced_sample);
  j["findings"] = ShownFindings(r.findings, shown);
  Json counts = Json::object();
  for (const auto& [rule, n] : r.rule_counts) counts[rule] = n;
  j["rule_counts"] = counts;
  j["errors"] = r.errors;
  j["notices"] = r.notices;
  j["decoded_completely"] = r.decoded_completely;
}

Json TreeVerifyJson(const TreeVerifyReport& t, const PathShown& shown);
// The "tree" rows of verify's table, then per tree its misplaced records and findings (notices
// only when `notices`).
void PrintTreeVerify(std::ostream& out, const std::vector<TreeVerifyReport>& trees,
                     const PathShown& shown, int32_t shard, bool table, bool notices);

}  // namespace shardtool
