#include "catalog/retired_files.h"

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "catalog/state_json.h"
#include "catalog/state_paths.h"
#include "catalog/uuid.h"
#include "io/atomic_file.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

}  // namespace

bool RetiredList::Contains(std::string_view name) const {
  for (const RetiredFile& f : files) {
    if (f.name == name) return true;
  }
  return false;
}

Result<RetiredList> ParseRetiredList(std::string_view text, std::string_view path) {
  auto parsed = ParseStateJsonChecked<Json>(text);
  if (!parsed.ok()) {
    return CorruptCatalogError(path, "not JSON: " + parsed.status().message());
  }
  try {
    Json& j = *parsed;
    if (!j.is_object()) return CorruptCatalogError(path, "not a JSON object");
    RetiredList list;
    if (!j.contains("uuid") || !j["uuid"].is_string()) {
      return CorruptCatalogError(path, "uuid: missing or not a string");
    }
    auto uuid = NormalizeUuid(j["uuid"].get<std::string>());
    if (!uuid) return CorruptCatalogError(path, "uuid: not a v4 UUID");
    list.uuid = *uuid;
    if (!j.contains("files") || !j["files"].is_array()) {
      return CorruptCatalogError(path, "files: missing or not an array");
    }
    for (size_t i = 0; i < j["files"].size(); i++) {
      const Json& f = j["files"][i];
      const std::string at = "files[" + std::to_string(i) + "]";
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) {
        return CorruptCatalogError(path, at + ": not an object with a string name");
      }
      RetiredFile rf;
      rf.name = f["name"].get<std::string>();
      if (f.contains("parts") && f["parts"].is_array()) {
        for (const Json& p : f["parts"]) {
          if (!p.is_string()) return CorruptCatalogError(path, at + ".parts: not strings");
          rf.parts.push_back(p.get<std::string>());
        }
      }
      if (f.contains("size") && f["size"].is_number_unsigned()) rf.size = f["size"].get<uint64_t>();
      if (f.contains("retiredAt") && f["retiredAt"].is_number_integer()) {
        rf.retired_at = f["retiredAt"].get<int64_t>();
      }
      if (f.contains("retiredBy") && f["retiredBy"].is_string()) {
        rf.retired_by = f["retiredBy"].get<std::string>();
      }
      list.files.push_back(std::move(rf));
    }
    return list;
  } catch (const std::exception& e) {
    return CorruptCatalogError(path, std::string("not JSON: ") + e.what());
  }
}

std::string SerializeRetiredList(const RetiredList& list) {
  Json j;
  j["uuid"] = list.uuid;
  Json files = Json::array();
  for (const RetiredFile& f : list.files) {
    Json fj;
    fj["name"] = f.name;
    fj["parts"] = f.parts;
    fj["size"] = f.size;
    fj["retiredAt"] = f.retired_at;
    fj["retiredBy"] = f.retired_by;
    files.push_back(std::move(fj));
  }
  j["files"] = std::move(files);
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<RetiredList> ReadRetiredList(FileSystem* fs, std::string_view workdir,
                                    std::string_view uuid) {
  const std::string path = RetiredListPath(workdir, uuid);
  auto text = ReadFileToString(fs, path);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kNotFound) return RetiredList{std::string(uuid), {}};
    return text.status();
  }
  return ParseRetiredList(*text, path);
}

Status WriteRetiredList(FileSystem* fs, std::string_view workdir, const RetiredList& list) {
  RETURN_IF_ERROR(fs->CreateDirs(JournalDir(workdir)));
  return WriteFileAtomically(fs, RetiredListPath(workdir, list.uuid), SerializeRetiredList(list));
}

}  // namespace shardtool
