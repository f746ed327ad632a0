// Rendering of `merge` reports: the --json document (doc/architecture.md §9, man/shardtool-merge.1)
// and the text for people.
#pragma once

#include <ostream>

#include "jobs/merge/merge_job.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {

Json MergeReportJson(const ReportStyle& style, const MergeReport& r);
// "merge <ns>: N files -> <output>", then (unless quiet) one line per detail.
void PrintMergeReport(std::ostream& out, const ReportStyle& style, const MergeReport& r);

}  // namespace shardtool
