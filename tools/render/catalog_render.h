// Rendering of the catalog and of catalog changes (init, catalog ...) for people and as JSON.
#pragma once

#include <ostream>
#include <string>

#include "catalog/catalog.h"
#include "catalog/catalog_admin.h"
#include "render/json_render.h"

namespace shardtool {

// {"schema_version":1, "command", "written", "catalog":{"epoch","version"}, "thisHost", "shard",
//  "changes":[{"kind","target","detail"}], "ignored":[...] (init only)}
Json AdminResultJson(const std::string& command, const AdminResult& result);
// "catalog version 7 -> 8 (epoch ...)" or "catalog unchanged (version 7, epoch ...)", then one
// line per change.
void PrintAdminResult(std::ostream& out, const AdminResult& result);
// The catalog as tables: cluster, databases, collections (with this shard's version and owned
// slots), views, range deletions. `shard` is the shard whose versions are shown.
void PrintCatalog(std::ostream& out, const std::string& path, const Catalog& catalog,
                  int32_t host_id);

}  // namespace shardtool
