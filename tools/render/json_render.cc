#include "render/json_render.h"

#include "format/key_fields.h"

namespace shardtool {

Json ErrorJson(const Status& status) {
  Json e;
  e["name"] = std::string(status.name());
  e["code"] = status.exit_status();
  e["message"] = status.message();
  for (const ErrorInfo& info : status.info()) {
    if (std::holds_alternative<std::string>(info.value)) {
      e[info.name] = std::get<std::string>(info.value);
    } else if (std::holds_alternative<int64_t>(info.value)) {
      e[info.name] = std::get<int64_t>(info.value);
    } else {
      e[info.name] = nullptr;
    }
  }
  Json doc;
  doc["error"] = e;
  return doc;
}

Json FindingJson(const Finding& f) {
  Json j;
  j["rule"] = f.rule;
  j["severity"] = SeverityName(f.severity);
  j["file"] = f.file;
  j["offset"] = f.offset >= 0 ? Json(f.offset) : Json(nullptr);
  j["page"] = f.page >= 0 ? Json(f.page) : Json(nullptr);
  j["key"] = f.key.empty() ? Json(nullptr) : Json(f.key);
  j["message"] = f.message;
  return j;
}

Json FindingsJson(const std::vector<Finding>& findings) {
  Json a = Json::array();
  for (const Finding& f : findings) a.push_back(FindingJson(f));
  return a;
}

Json KeyFieldsJson(const RdbInfo& rdb, const uint8_t* key) {
  Json j = Json::object();
  for (const auto& [name, value] : DecodeKeyFields(rdb, key)) j[name] = value;
  return j;
}

}  // namespace shardtool
