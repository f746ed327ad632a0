#include "acquire/acquisition_request.h"

#include "catalog/namespace.h"
#include "catalog/uuid.h"

namespace shardtool {
namespace {

Status InvalidNamespace(const std::string& input, std::string why) {
  Status s = InvalidNamespaceStatus("invalid namespace " + input + ": " + why);
  s.With("input", input);
  return s;
}

}  // namespace

std::string_view OperationTypeName(OperationType op) {
  return op == OperationType::kWrite ? "write" : "read";
}

std::string_view ViewModeName(ViewMode mode) {
  return mode == ViewMode::kCanBeView ? "canBeView" : "mustBeCollection";
}

AcquisitionRequest AcquisitionRequest::Ns(std::string ns) {
  AcquisitionRequest r;
  r.nss = std::move(ns);
  return r;
}

AcquisitionRequest AcquisitionRequest::ByUuid(std::string db, std::string uuid) {
  AcquisitionRequest r;
  r.nss = DbAndUuid{std::move(db), std::move(uuid)};
  return r;
}

std::string AcquisitionRequest::Describe() const {
  if (const auto* ns = std::get_if<std::string>(&nss)) return *ns;
  const auto& du = std::get<DbAndUuid>(nss);
  return "{" + du.db + ", " + du.uuid + "}";
}

Result<ParsedRequest> ParseRequest(const AcquisitionRequest& request) {
  ParsedRequest p;
  p.request = request;
  const std::string input = request.Describe();
  if (const auto* ns = std::get_if<std::string>(&request.nss)) {
    auto parsed = ParseNamespace(*ns);
    if (!parsed) {
      return InvalidNamespace(
          input, "want <db>.<name>, each part [A-Za-z0-9_-]{1,64} (doc/acquisition.md §2)");
    }
    p.db = std::move(parsed->db);
    p.name = std::move(parsed->name);
  } else {
    const auto& du = std::get<DbAndUuid>(request.nss);
    if (!IsValidNamePart(du.db)) {
      return InvalidNamespace(input, "database name must be [A-Za-z0-9_-]{1,64}");
    }
    auto uuid = NormalizeUuid(du.uuid);
    if (!uuid) return InvalidNamespace(input, "not a v4 UUID: \"" + du.uuid + "\"");
    p.db = du.db;
    p.uuid = std::move(*uuid);
    if (request.expected_uuid) {
      return InternalErrorStatus(
                 "request " + input +
                 ": expectedUUID is for the namespace form only (doc/acquisition.md §3)")
          .With("what", "expectedUUID with {db, uuid}");
    }
  }
  if (request.expected_uuid) {
    auto uuid = NormalizeUuid(*request.expected_uuid);
    if (!uuid) {
      return InvalidNamespace(input,
                              "expectedUUID is not a v4 UUID: \"" + *request.expected_uuid + "\"");
    }
    p.expected_uuid = std::move(*uuid);
  }
  if (request.placement.shard_version && request.placement.shard_version->is_unknown()) {
    return InternalErrorStatus("request " + input +
                               ": the unknown shard version cannot be sent (doc/acquisition.md §3)")
        .With("what", "unknown shard version sent");
  }
  return p;
}

}  // namespace shardtool
