// Rendering of `import` reports: the --json document (doc/architecture.md §9,
// man/shardtool-import.1) and the text for people (warnings go to err).
#pragma once

#include <ostream>

#include "jobs/import/import_job.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {

Json ImportReportJson(const ImportReport& r);
void PrintImportReport(std::ostream& out, std::ostream& err, const ReportStyle& style,
                       const ImportReport& r);

}  // namespace shardtool
