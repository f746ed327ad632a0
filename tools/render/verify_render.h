// Rendering of `verify` reports: the --json document (doc/architecture.md §9,
// man/shardtool-verify.1) and the text for people (a table of files, then findings and misplaced
// records, then a summary).
#pragma once

#include <ostream>

#include "jobs/verify/verify_run.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {

// digest: the "digests" array is present (verify --digest).
Json VerifyReportJson(const ReportStyle& style, bool quick, bool digest,
                      const VerifyJobResult& result);
void PrintVerifyReport(std::ostream& out, const ReportStyle& style, const VerifyJobResult& result);

}  // namespace shardtool
