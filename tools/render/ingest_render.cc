#include "render/ingest_render.h"

#include <utility>

#include "render/text_render.h"

namespace shardtool {

Json IngestReportJson(const std::string& bundle, const IngestReport& r) {
  Json files = Json::array();
  for (const std::string& f : r.files) files.push_back(f);
  return {{"bundle", bundle},
          {"kind", r.kind},
          {"database", r.database},
          {"rdb", r.rdb},
          {"target_shard", r.target_shard},
          {"streams", r.streams},
          {"records", {{"positive", r.positive}, {"negative", r.negative}}},
          {"superseded", r.superseded},
          {"held_by_host", r.held_by_host},
          {"already_ingested", r.already_ingested},
          {"files", files},
          {"bytes_written", r.bytes_written},
          {"seconds", r.seconds},
          {"dry_run", r.dry_run}};
}

Json IngestDocumentJson(Json bundles) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "ingest";
  j["bundles"] = std::move(bundles);
  return j;
}

void PrintIngestReport(std::ostream& out, const std::string& bundle, const IngestReport& r) {
  out << "ingest " << bundle << " (" << r.kind << ", " << r.database << "." << r.rdb << ", shard "
      << r.target_shard << "): ";
  if (r.already_ingested) {
    out << "already ingested, nothing to do\n";
    return;
  }
  out << r.positive << " positive and " << r.negative << " negative records"
      << (r.dry_run ? " (dry run: nothing written)" : "") << "\n";
  if (r.held_by_host > 0) {
    out << "  " << r.held_by_host
        << " orphan records dropped: this host holds a version of their key\n";
  }
  for (const std::string& f : r.files) out << "  " << f << "\n";
  out << "  " << HumanBytes(r.bytes_written) << " written in " << HumanDuration(r.seconds) << "\n";
}

}  // namespace shardtool
