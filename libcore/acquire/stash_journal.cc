#include "acquire/stash_journal.h"

#include <nlohmann/json.hpp>

#include "catalog/state_json.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

std::string_view KindName(TargetKind k) {
  switch (k) {
    case TargetKind::kCollection:
      return "collection";
    case TargetKind::kView:
      return "view";
    case TargetKind::kAbsent:
      break;
  }
  return "absent";
}

Json OptString(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

Json ToJson(const StashedAcquisition& a) {
  Json j;
  j["call"] = a.call;
  j["lockFree"] = a.lock_free;
  j["lockTimeoutMs"] = a.lock_timeout_ms;
  if (const auto* ns = std::get_if<std::string>(&a.request.nss)) {
    j["request"] = Json{{"ns", *ns}};
  } else {
    const auto& du = std::get<DbAndUuid>(a.request.nss);
    j["request"] = Json{{"db", du.db}, {"uuid", du.uuid}};
  }
  j["expectedUUID"] = OptString(a.request.expected_uuid);
  const PlacementConcern& p = a.request.placement;
  j["placement"] =
      Json{{"dbVersion", p.db_version ? Json(p.db_version->ToString()) : Json(nullptr)},
           {"shardVersion", p.shard_version ? Json(p.shard_version->ToString()) : Json(nullptr)}};
  j["operationType"] = OperationTypeName(a.request.operation);
  j["viewMode"] = ViewModeName(a.request.view_mode);
  j["ns"] = a.ns;
  j["db"] = a.db;
  j["kind"] = KindName(a.kind);
  j["uuid"] = a.kind == TargetKind::kCollection ? Json(a.uuid) : Json(nullptr);
  j["rdb"] = a.rdb;
  if (a.view) {
    j["view"] =
        Json{{"viewOn", a.view->view_on}, {"min", a.view->key_min}, {"max", a.view->key_max}};
  } else {
    j["view"] = nullptr;
  }
  j["catalogEpoch"] = a.catalog_epoch;
  j["catalogVersion"] = a.catalog_version;
  j["seenVersion"] = a.seen_version;
  j["lease"] = a.lease.empty() ? Json(nullptr) : Json(a.lease);
  if (a.description) {
    const StashedDescription& d = *a.description;
    Json chunks = Json::array();
    for (const Chunk& c : d.chunks) {
      chunks.push_back(Json::array({c.min, c.max, c.shard, c.version.ToString()}));
    }
    j["description"] = Json{
        {"generation", Json{{"epoch", d.generation.epoch}, {"timestamp", d.generation.timestamp}}},
        {"version", d.version.ToString()},
        {"shard", d.shard},
        {"chunks", std::move(chunks)}};
  } else {
    j["description"] = nullptr;
  }
  j["dir"] = a.dir;
  Json files = Json::array();
  for (const CommittedFile& f : a.files) {
    Json parts = Json::array();
    for (const DataFilePart& p : f.parts) parts.push_back(Json::array({p.index, p.name, p.size}));
    files.push_back(
        Json{{"id", f.id}, {"name", f.name}, {"merge", f.merge}, {"parts", std::move(parts)}});
  }
  j["files"] = std::move(files);
  return j;
}

// The placement concern of a stashed request; Corruption naming a version that does not parse.
Status PlacementFromJson(const Json& p, PlacementConcern* placement) {
  if (!p.at("dbVersion").is_null()) {
    placement->db_version = DbVersion::Parse(p.at("dbVersion").get<std::string>());
    if (!placement->db_version) return CorruptionStatus("placement.dbVersion: bad text");
  }
  if (!p.at("shardVersion").is_null()) {
    placement->shard_version = ShardVersion::Parse(p.at("shardVersion").get<std::string>());
    if (!placement->shard_version) return CorruptionStatus("placement.shardVersion: bad text");
  }
  return Status::Ok();
}

Result<StashedDescription> DescriptionFromJson(const Json& d) {
  StashedDescription sd;
  sd.generation.epoch = d.at("generation").at("epoch").get<std::string>();
  sd.generation.timestamp = d.at("generation").at("timestamp").get<uint64_t>();
  auto v = ShardVersion::Parse(d.at("version").get<std::string>());
  if (!v) return CorruptionStatus("description.version: bad text");
  sd.version = *v;
  sd.shard = d.at("shard").get<int32_t>();
  for (const Json& c : d.at("chunks")) {
    Chunk ch;
    ch.min = c.at(0).get<int32_t>();
    ch.max = c.at(1).get<int32_t>();
    ch.shard = c.at(2).get<int32_t>();
    auto cv = ChunkVersion::Parse(c.at(3).get<std::string>());
    if (!cv) return CorruptionStatus("description.chunks: bad version");
    ch.version = *cv;
    sd.chunks.push_back(std::move(ch));
  }
  return sd;
}

std::vector<CommittedFile> FilesFromJson(const Json& files) {
  std::vector<CommittedFile> out;
  for (const Json& f : files) {
    CommittedFile cf;
    cf.id = f.at("id").get<int32_t>();
    cf.name = f.at("name").get<std::string>();
    cf.merge = f.at("merge").get<bool>();
    for (const Json& pj : f.at("parts")) {
      DataFilePart part{pj.at(0).get<int32_t>(), pj.at(1).get<std::string>(),
                        pj.at(2).get<uint64_t>()};
      cf.total_size += part.size;
      cf.parts.push_back(std::move(part));
    }
    out.push_back(std::move(cf));
  }
  return out;
}

// The request of a stashed acquisition (its lock timeout already read into `a`).
Status RequestFromJson(const Json& j, StashedAcquisition* a) {
  const Json& r = j.at("request");
  if (r.contains("ns")) {
    a->request.nss = r.at("ns").get<std::string>();
  } else {
    a->request.nss = DbAndUuid{r.at("db").get<std::string>(), r.at("uuid").get<std::string>()};
  }
  if (!j.at("expectedUUID").is_null()) {
    a->request.expected_uuid = j.at("expectedUUID").get<std::string>();
  }
  RETURN_IF_ERROR(PlacementFromJson(j.at("placement"), &a->request.placement));
  a->request.operation =
      j.at("operationType") == "write" ? OperationType::kWrite : OperationType::kRead;
  a->request.view_mode =
      j.at("viewMode") == "canBeView" ? ViewMode::kCanBeView : ViewMode::kMustBeCollection;
  a->request.lock_timeout_ms = a->lock_timeout_ms;
  return Status::Ok();
}

// Corruption with the reason for a version that does not parse; nlohmann throws on a missing
// member or a wrong type (caught by ParseStashJournal).
Result<StashedAcquisition> FromJson(const Json& j) {
  StashedAcquisition a;
  a.call = j.at("call").get<int32_t>();
  a.lock_free = j.at("lockFree").get<bool>();
  a.lock_timeout_ms = j.at("lockTimeoutMs").get<int64_t>();
  RETURN_IF_ERROR(RequestFromJson(j, &a));
  a.ns = j.at("ns").get<std::string>();
  a.db = j.at("db").get<std::string>();
  const std::string kind = j.at("kind").get<std::string>();
  a.kind = kind == "collection" ? TargetKind::kCollection
           : kind == "view"     ? TargetKind::kView
                                : TargetKind::kAbsent;
  if (a.kind == TargetKind::kCollection) a.uuid = j.at("uuid").get<std::string>();
  a.rdb = j.at("rdb").get<std::string>();
  if (!j.at("view").is_null()) {
    const Json& v = j.at("view");
    ViewEntry ve;
    ve.ns = a.ns;
    ve.view_on = v.at("viewOn").get<std::string>();
    ve.key_min = v.at("min").get<std::string>();
    ve.key_max = v.at("max").get<std::string>();
    a.view = std::move(ve);
  }
  a.catalog_epoch = j.at("catalogEpoch").get<std::string>();
  a.catalog_version = j.at("catalogVersion").get<uint64_t>();
  a.seen_version = j.at("seenVersion").get<uint64_t>();
  if (!j.at("lease").is_null()) a.lease = j.at("lease").get<std::string>();
  if (!j.at("description").is_null()) {
    ASSIGN_OR_RETURN(a.description, DescriptionFromJson(j.at("description")));
  }
  a.dir = j.at("dir").get<std::string>();
  a.files = FilesFromJson(j.at("files"));
  return a;
}

}  // namespace

std::string SerializeStashJournal(const StashJournal& journal) {
  Json j;
  j["schema_version"] = 1;
  j["kind"] = "stashedAcquisitions";
  j["job"] = journal.job;
  j["lastKey"] = journal.last_key;
  j["stashedAt"] = journal.stashed_at;
  Json acqs = Json::array();
  for (const StashedAcquisition& a : journal.acquisitions) acqs.push_back(ToJson(a));
  j["acquisitions"] = std::move(acqs);
  return j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<StashJournal> ParseStashJournal(std::string_view text, std::string_view path) {
  auto bad = [&path](const std::string& why) {
    return CorruptCatalogError(path, "stash journal: " + why);
  };
  auto parsed = ParseStateJsonChecked<Json>(text);
  if (!parsed.ok()) return bad(parsed.status().message());
  try {
    const Json& j = *parsed;
    if (!j.is_object() || j.value("kind", "") != "stashedAcquisitions") {
      return CorruptCatalogError(path, "not a stashed-acquisitions journal");
    }
    StashJournal out;
    out.job = j.at("job").get<std::string>();
    out.last_key = j.at("lastKey").get<std::string>();
    out.stashed_at = j.at("stashedAt").get<int64_t>();
    for (const Json& a : j.at("acquisitions")) {
      auto acquisition = FromJson(a);
      if (!acquisition.ok()) return bad(acquisition.status().message());
      out.acquisitions.push_back(std::move(*acquisition));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

}  // namespace shardtool
