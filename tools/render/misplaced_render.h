// Rendering of `repair misplaced` reports: the --json document (man/shardtool-repair.1) and the
// text for people.
#pragma once

#include <ostream>

#include "jobs/repair/misplaced_job.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {

Json MisplacedReportJson(const ReportStyle& style, const MisplacedReport& r);
// "repair misplaced <db>: ..." then (unless quiet) one line per Rdb and per bundle.
void PrintMisplacedReport(std::ostream& out, const ReportStyle& style, const MisplacedReport& r);

}  // namespace shardtool
