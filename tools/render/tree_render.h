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

Json TreeVerifyJson(const TreeVerifyReport& t, const PathShown& shown);
// The "tree" rows of verify's table, then per tree its misplaced records and findings (notices
// only when `notices`).
void PrintTreeVerify(std::ostream& out, const std::vector<TreeVerifyReport>& trees,
                     const PathShown& shown, int32_t shard, bool table, bool notices);

}  // namespace shardtool
