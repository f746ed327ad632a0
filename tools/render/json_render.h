// JSON renderers (doc/architecture.md §9): every command's --json document is built here from
// libcore's plain report structs. Keys are hex, most significant byte first.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "base/status.h"
#include "format/finding.h"
#include "format/page_map.h"
#include "format/rdb_registry.h"

namespace shardtool {

using Json = nlohmann::ordered_json;

// {"error": {"name", "code", "message", ...info}}
Json ErrorJson(const Status& status);
Json FindingJson(const Finding& f);
Json FindingsJson(const std::vector<Finding>& findings);
// Named key fields ({"docid": ..., ...}).
Json KeyFieldsJson(const RdbInfo& rdb, const uint8_t* key);

}  // namespace shardtool
