// Rendering of `ingest` reports: one JSON object per bundle (doc/architecture.md §9) gathered into
// the command's document, and the text for people.
#pragma once

#include <ostream>
#include <string>

#include "jobs/ingest/ingest_job.h"
#include "render/json_render.h"

namespace shardtool {

// {"bundle", "kind", "database", "rdb", "target_shard", "streams", "records", ...}
Json IngestReportJson(const std::string& bundle, const IngestReport& r);
// {"schema_version": 1, "command": "ingest", "bundles": [IngestReportJson...]}
Json IngestDocumentJson(Json bundles);
// "ingest <bundle> (<kind>, <db>.<rdb>, shard N): ..." and the files written.
void PrintIngestReport(std::ostream& out, const std::string& bundle, const IngestReport& r);

}  // namespace shardtool
