// The placement concern of commands: the router role (doc/acquisition.md §3, end).
//
// A command reads the catalog, builds per namespace {dbVersion: current, shardVersion: current}
// and acquires. When that fails with StaleConfig or StaleDbVersion before any work, it re-reads
// the catalog and tries again, max_attempts (3) attempts in all; the last error is returned (exit
// 5). `--placement SPEC` (repeatable) pins instead, and a pinned part is never retried:
//   none                  unversioned requests (neither version sent)
//   ignored               shardVersion IGNORED, dbVersion current
//   db=<uuid>/<lastMod>   that dbVersion (shardVersion current)
//   <ns>=<shard version>  that namespace's shardVersion (a version text, UNTRACKED or IGNORED)
// "none" excludes every other spec; "ignored" excludes <ns>= specs; one db= and one <ns>= per
// namespace at most. A StaleDbVersion is retried unless the dbVersion was pinned (none, db=); a
// StaleConfig unless that namespace's shardVersion was pinned (none, ignored, <ns>=).
//
// Current versions that cannot be sent: a database whose dbVersion is null (placement unknown)
// gets StaleDbVersion{received: null, wanted: null}; a collection with unknown placement is sent
// IGNORED, which step 7 of §3 answers with StaleConfig{wanted: null}. Neither is retried more than
// the attempts allow.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "acquire/acquisition.h"
#include "base/status.h"

namespace shardtool {

struct PlacementPins {
  bool none = false;
  bool ignored = false;
  std::optional<DbVersion> db_version;
  std::map<std::string, ShardVersion> shard_versions;  // by namespace

  bool empty() const {
    return !none && !ignored && !db_version.has_value() && shard_versions.empty();
  }
};

// Parses the --placement specs (UsageError, exit 2, for bad text or conflicting specs;
// InvalidNamespace for a bad <ns>).
Result<PlacementPins> ParsePlacementSpecs(const std::vector<std::string>& specs);

struct CommandAcquireRequest {
  std::vector<std::string> namespaces;  // one database
  OperationType operation = OperationType::kRead;
  ViewMode view_mode = ViewMode::kMustBeCollection;
  bool maybe_lock_free = false;  // reads: the lock-free protocol (CLI reads default to it)
  int64_t lock_timeout_ms = 0;
  PlacementPins pins;
  int max_attempts = 3;
};

// The requests a command sends for the catalog `snap` (current versions, pins applied).
Result<std::vector<AcquisitionRequest>> BuildCommandRequests(const CatalogSnapshot& snap,
                                                             const CommandAcquireRequest& req);

// Acquires the namespaces as the router role does (see the comment atop this file). Handles in
// the order of req.namespaces. A pin naming a namespace that is not acquired is UsageError.
Result<std::vector<CollectionOrViewAcquisition>> AcquireForCommand(
    AcquisitionContext& ctx, const CommandAcquireRequest& req);

}  // namespace shardtool
