// Rendering of `inspect db`, `inspect catalog` and `inspect key` (text for people, JSON per
// doc/architecture.md §9 and man/shardtool-inspect.1). Paths in the reports are already relative to
// the working dir.
#pragma once

#include <ostream>
#include <string>

#include "catalog/catalog.h"
#include "jobs/inspect/inspect_db.h"
#include "jobs/inspect/inspect_key.h"
#include "render/json_render.h"

namespace shardtool {

Json DbReportJson(const DbReport& r);
void PrintDbReport(std::ostream& out, const DbReport& r, int64_t now, bool verbose);

Json CatalogInspectJson(const std::string& path, const Catalog& c);
// Chunks are summarised per shard unless `verbose` (then every chunk is listed).
void PrintCatalogInspect(std::ostream& out, const std::string& path, const Catalog& c,
                         bool verbose);

Json KeyReportJson(const KeyReport& r);
void PrintKeyReport(std::ostream& out, const KeyReport& r);

}  // namespace shardtool
