// An acquisition request (doc/acquisition.md §3): what a job asks for before it touches a
// collection.
//
//   nss            "<db>.<name>", or {db, uuid} (a collection by its uuid; views have none)
//   expectedUUID   (nss form only) the uuid the name must still hold
//   placement      none, or {dbVersion?, shardVersion?} with shardVersion a version, UNTRACKED or
//                  IGNORED: the versions the caller believes in (the router role sends the current
//                  ones, --placement pins others)
//   operationType  read or write; viewMode mustBeCollection or canBeView; lockTimeoutMs
//
// ParseRequest runs check 1 of §3 (syntax: InvalidNamespace{input}) and normalises UUIDs to lower
// case; it touches nothing, so it runs before any lock. The other checks (§3 steps 3-7) are in
// placement_check.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"
#include "catalog/shard_version.h"

namespace shardtool {

enum class OperationType { kRead, kWrite };
enum class ViewMode { kMustBeCollection, kCanBeView };

std::string_view OperationTypeName(OperationType op);  // "read" / "write"
std::string_view ViewModeName(ViewMode mode);          // "mustBeCollection" / "canBeView"

// The versions a request is sent with. Neither member: unversioned ("placement none").
struct PlacementConcern {
  std::optional<DbVersion> db_version;
  // A versioned shard version, UNTRACKED or IGNORED (never the unknown version: it has no text).
  std::optional<ShardVersion> shard_version;

  static PlacementConcern None() { return {}; }
  static PlacementConcern Versions(std::optional<DbVersion> db, std::optional<ShardVersion> sv) {
    return PlacementConcern{std::move(db), std::move(sv)};
  }
  bool unversioned() const { return !db_version && !shard_version; }
  friend bool operator==(const PlacementConcern&, const PlacementConcern&) = default;
};

// A collection named by its database and uuid.
struct DbAndUuid {
  std::string db;
  std::string uuid;
  friend bool operator==(const DbAndUuid&, const DbAndUuid&) = default;
};

struct AcquisitionRequest {
  std::variant<std::string, DbAndUuid> nss;
  std::optional<std::string> expected_uuid;  // nss form only
  PlacementConcern placement;
  OperationType operation = OperationType::kRead;
  ViewMode view_mode = ViewMode::kMustBeCollection;
  int64_t lock_timeout_ms = 0;  // --lock-timeout (0: one try per lock)

  // Builders: AcquisitionRequest::Ns("main.titledb").Write().With(placement).Timeout(5000)
  static AcquisitionRequest Ns(std::string ns);
  static AcquisitionRequest ByUuid(std::string db, std::string uuid);
  AcquisitionRequest& Read() {
    operation = OperationType::kRead;
    return *this;
  }
  AcquisitionRequest& Write() {
    operation = OperationType::kWrite;
    return *this;
  }
  AcquisitionRequest& With(PlacementConcern p) {
    placement = std::move(p);
    return *this;
  }
  AcquisitionRequest& CanBeView() {
    view_mode = ViewMode::kCanBeView;
    return *this;
  }
  AcquisitionRequest& ExpectUuid(std::string uuid) {
    expected_uuid = std::move(uuid);
    return *this;
  }
  AcquisitionRequest& Timeout(int64_t ms) {
    lock_timeout_ms = ms;
    return *this;
  }

  // The request as text for messages: "main.titledb" or "{main, <uuid>}".
  std::string Describe() const;
};

// A request after check 1: names split and UUIDs lower-case.
struct ParsedRequest {
  AcquisitionRequest request;  // as given
  std::string db;
  std::string name;  // nss form: the collection or view name; {db, uuid} form: empty
  std::string uuid;  // {db, uuid} form: the normalised uuid; nss form: empty
  std::optional<std::string> expected_uuid;  // normalised
  bool by_uuid() const { return name.empty(); }
  // The ns asked for ("<db>.<name>"); for the {db, uuid} form "" (resolved from the catalog).
  std::string ns() const { return by_uuid() ? std::string() : db + "." + name; }
};

// Check 1 of §3: InvalidNamespace{input} for a bad namespace, db or uuid (also a bad
// expectedUUID); InternalError for API misuse (expectedUUID with the {db, uuid} form, the unknown
// shard version sent).
Result<ParsedRequest> ParseRequest(const AcquisitionRequest& request);

}  // namespace shardtool
