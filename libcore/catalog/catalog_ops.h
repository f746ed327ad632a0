// The operations that change the catalog (doc/acquisition.md §2), as pure functions on the model:
// each takes the current catalog and a request and returns the next catalog, whether it changed,
// and notes for the report. They do no I/O: the inputs from outside (hosts.conf, the databases
// found on disk, UUIDs, the time) are parameters, so tests drive them directly; catalog_store.h
// applies one atomically under the global exclusive lock.
//
// Invariants of every result: when `changed`, catalogVersion is the input's + 1 (a catalog made
// from nothing has version 1 and a new epoch; `init --rebuild` has a new epoch and the old
// version + 1, so the version never goes down) and the catalog is valid; when not `changed`, it is
// the input, unmodified, and nothing must be written.
//
//   init          make the catalog from hosts.conf and the database dirs, or refresh it
//   move-slots    give a slot range to one shard in every (or the listed) sharded collections
//   reshard       a new cluster from hosts.conf: new generations, default chunks
//   create-view / drop-view
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/discovery.h"
#include "catalog/uuid.h"
#include "format/hosts_conf.h"

namespace shardtool {

constexpr int64_t kDefaultOrphanDelaySeconds = 900;

// What the operations take from outside.
struct OpEnv {
  UuidGenerator uuids;  // REQUIRES: set
  int64_t now = 0;      // Unix seconds
};

// One line of an operation's report: a kind ("addDatabase", "moveSlots", ...), the namespace or
// database it concerns, and a detail for people.
struct ChangeNote {
  std::string kind;
  std::string target;
  std::string detail;
  friend bool operator==(const ChangeNote&, const ChangeNote&) = default;
};

struct OpResult {
  Catalog catalog;
  bool changed = false;
  std::vector<ChangeNote> notes;
  // catalog apply (cluster_catalog.h): the version is the cluster's, not the input's + 1 (higher
  // than the input's in the same epoch; any in another epoch).
  bool version_from_cluster = false;
};

// Slot i to shard i % num_shards, all 1|0, adjacent chunks of one shard coalesced (Gigablast's
// m_map). REQUIRES: num_shards >= 1.
std::vector<Chunk> DefaultChunks(int32_t num_shards);
// Joins adjacent chunks with equal shard and version (the first one's unknown fields are kept).
std::vector<Chunk> CoalesceChunks(std::vector<Chunk> chunks);
// cluster from a parsed hosts.conf: numShards, numMirrors, and per host id, shard, workdir, ip1.
ClusterInfo ClusterFromHostsConf(const HostsConf& hosts);

// ---- init ----

struct InitRequest {
  HostsConf hosts;
  int32_t host_id = -1;  // REQUIRES: >= 0 (the caller takes it from --host-id or the catalog)
  std::vector<DiscoveredDatabase> databases;  // DiscoverDatabases().databases
  bool rebuild = false;                       // make the catalog from nothing, new epoch
};

// From nothing (current null, or rebuild): a new epoch; every database dir a database (new uuid,
// dbVersion {new uuid, 1}); every Rdb with a data file a collection (new uuid, generation {new
// uuid, 1}, partSize 2013265920, default chunks). A refresh keeps every uuid and version and only
// adds new database dirs and Rdbs with files, removes databases whose dir is gone (with their
// collections, views and range deletions), renames a database whose collnum reappears under a new
// name (uuids kept), recreates one whose name reappears with another collnum (all new uuids), and
// bumps dbVersion.lastMod once per database whose set of collections or views (or name) changed.
// It also takes over hosts.conf's host lines and mirrors (numShards must not change) and another
// host id of the same shard. An Rdb whose namespace is a view is not added (noted "skipped").
// Errors: FailedPrecondition (exit 3) when numShards differs from the catalog's ("use catalog
// reshard"), when the host id is not in hosts.conf or lies in another shard than the catalog's
// host, or when two database dirs share a name or a collnum.
Result<OpResult> InitCatalog(const Catalog* current, const InitRequest& request, const OpEnv& env);

// ---- move-slots ----

struct MoveSlotsRequest {
  int32_t first = 0;  // slots first..last inclusive, i.e. [first, last+1)
  int32_t last = 0;
  int32_t to_shard = 0;
  std::vector<std::string> namespaces;  // empty: every sharded collection with known placement
  int64_t orphan_delay = kDefaultOrphanDelaySeconds;
};

// doc/acquisition.md §2 move-slots. Per collection, with C its highest chunk version: nothing when
// the target shard S owns every slot of the range; else chunks are split at first and last+1, every
// chunk in range gets S and (C.major+1)|0, every other chunk of a donor (a shard that lost a slot)
// minor+1, and equal neighbours are coalesced. This host's shard as a donor gets a range deletion
// of its lost slots (orphanedAt = {its new shard version, the new catalogVersion, now}, readyAfter
// now + orphan_delay); as S it drops the moved slots from its range deletions.
// Errors: UsageError (bad range, shard or delay), InvalidNamespace, NamespaceNotFound,
// FailedPrecondition (a listed collection is not sharded or has unknown placement).
Result<OpResult> MoveSlots(const Catalog& current, const MoveSlotsRequest& request,
                           const OpEnv& env);

// ---- reshard ----

struct ReshardRequest {
  HostsConf hosts;
  int64_t orphan_delay = kDefaultOrphanDelaySeconds;
};

// doc/acquisition.md §2 reshard: cluster replaced from hosts; every sharded collection gets
// generation {new uuid, timestamp+1} (timestamp 1 when placement was unknown) and the default
// chunks of the new numShards; this host gets a range deletion per collection for the slots its old
// shard owned and its new shard does not, and its range deletions lose the slots it now owns.
// No change (changed false) when the reshard is already made: the catalog's cluster is the one of
// hosts and every sharded collection has known placement and the default chunks of that shard
// count. Errors: FailedPrecondition when thisHost is not a host of the new cluster;
// UsageError for a negative delay.
Result<OpResult> Reshard(const Catalog& current, const ReshardRequest& request, const OpEnv& env);

// ---- views ----

struct CreateViewRequest {
  std::string ns;
  std::string view_on;
  std::string key_min;  // hex of the Rdb's key size, optional 0x, either case
  std::string key_max;
};

// Adds the view; its database's dbVersion.lastMod + 1. The same definition again is no change.
// Errors: InvalidNamespace, NamespaceNotFound (database or viewOn missing), UsageError (viewOn in
// another database, bad keys, min >= max), FailedPrecondition (the name is a collection, or a
// view with another definition; viewOn is a view).
Result<OpResult> CreateView(const Catalog& current, const CreateViewRequest& request,
                            const OpEnv& env);
// Removes the view; its database's dbVersion.lastMod + 1. Errors: InvalidNamespace,
// NamespaceNotFound (no such view), FailedPrecondition (the name is a collection).
Result<OpResult> DropView(const Catalog& current, const std::string& ns, const OpEnv& env);

}  // namespace shardtool
