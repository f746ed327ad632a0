// The journal of a stashed acquisition context (doc/acquisition.md §7 "Stash across invocations"):
// shardtool/journal/<name>, written when a job stops resumably, read by the next invocation.
//
//   {"schema_version": 1, "kind": "stashedAcquisitions", "job", "lastKey", "stashedAt",
//    "acquisitions": [{"call", "lockFree", "lockTimeoutMs",
//                      "request": {"ns"} | {"db", "uuid"}, "expectedUUID",
//                      "placement": {"dbVersion", "shardVersion"}, "operationType", "viewMode",
//                      "ns", "db", "kind": "collection"|"absent"|"view", "uuid", "rdb",
//                      "view": {"viewOn", "min", "max"} | null,
//                      "catalogEpoch", "catalogVersion", "seenVersion", "lease": name | null,
//                      "description": {"generation", "version", "shard",
//                                      "chunks": [[min, max, shard, "M|m"], ...]} | null,
//                      "dir", "files": [{"id", "name", "merge", "parts": [[name, size], ...]}]}]}
//
// Each acquisition keeps its prerequisites (the request: namespace or {db, uuid}, placement
// concern sent, operationType, viewMode), what it resolved to (recorded uuid or absent, view
// definition), the catalog epoch and version, the lease name, and for reads the description and
// snapshot a continued run must keep using, so that it is bit-identical to an uninterrupted one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acquire/acquisition_request.h"
#include "acquire/placement_check.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/discovery.h"

namespace shardtool {

struct StashedDescription {
  CollectionGeneration generation;
  ShardVersion version;
  int32_t shard = 0;
  std::vector<Chunk> chunks;
  friend bool operator==(const StashedDescription&, const StashedDescription&) = default;
};

struct StashedAcquisition {
  int32_t call = 0;  // acquisitions of one acquire call share an index
  bool lock_free = false;
  int64_t lock_timeout_ms = 0;
  AcquisitionRequest request;
  std::string ns;
  std::string db;
  TargetKind kind = TargetKind::kAbsent;
  std::string uuid;  // kCollection
  std::string rdb;   // kCollection
  std::optional<ViewEntry> view;
  std::string catalog_epoch;
  uint64_t catalog_version = 0;
  uint64_t seen_version = 0;
  std::string lease;                              // "" when none
  std::optional<StashedDescription> description;  // sharded descriptions only
  std::string dir;
  std::vector<CommittedFile> files;
};

struct StashJournal {
  std::string job;
  std::string last_key;
  int64_t stashed_at = 0;  // Unix seconds
  std::vector<StashedAcquisition> acquisitions;
};

std::string SerializeStashJournal(const StashJournal& journal);
// CorruptCatalog{path, detail} when the text is not such a journal.
Result<StashJournal> ParseStashJournal(std::string_view text, std::string_view path);

}  // namespace shardtool
