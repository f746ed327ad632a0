// Catalog administration: the commands `init` and `catalog move-slots|reshard|create-view|
// drop-view|apply` as library calls (doc/acquisition.md §2). Each reads its inputs (hosts.conf, the
// database dirs of the working dir), then applies one pure operation of catalog_ops.h through
// CatalogStore::Update, i.e. atomically under the global exclusive lock. The CLI commands are thin
// wrappers around these; tests call them on a MemFileSystem.
//
// UUIDs and time are injectable (AdminOptions::uuids, FileSystem::NowMicros).
//
// On a host whose catalog is a cluster catalog of another config host (cluster_catalog.h), the
// changes (move-slots, reshard, views, and an init that would change the catalog other than
// --rebuild) are FailedPrecondition naming the config host: they are made there and applied here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog_ops.h"
#include "catalog/catalog_store.h"
#include "catalog/host_identity.h"
#include "catalog/uuid.h"
#include "io/file_system.h"
#include "io/local_host.h"

namespace shardtool {

struct AdminOptions {
  int64_t lock_timeout_ms = 0;
  // >= 0: the catalog must be this host's (its thisHost), else FailedPrecondition (exit 3): a
  // catalog is one host's view (its range deletions are that host's). init takes its own host id.
  int32_t expect_host_id = -1;
  UuidGenerator uuids;  // default: RandomUuidGenerator()
  CatalogStoreOptions store;
  LocalHost* local = nullptr;  // host identity (host_identity.h); default: SystemLocalHost()
};

// The outcome of an administration call: the catalog now on disk, whether it was rewritten, and
// what changed.
struct AdminResult {
  Catalog catalog;
  bool written = false;
  std::vector<ChangeNote> notes;
  std::vector<std::string> ignored;  // init: "coll.*" entries that are not database dirs
};

struct InitArgs {
  std::string hosts_path;  // a path as given (resolved by the caller); empty: <workdir>/hosts.conf
  // -1: the catalog's thisHost; without a catalog, the host of hosts.conf with a local address
  // and this working dir (IdentifyHost: FailedPrecondition when none or several match).
  int32_t host_id = -1;
  bool rebuild = false;
};

// init: reads hosts.conf and discovers the databases, then InitCatalog under the global lock.
// A catalog that cannot be read is CorruptCatalog unless rebuild is set. Errors as InitCatalog,
// plus NotFound / Corruption for hosts.conf and IdentifyHost's.
Result<AdminResult> RunInit(FileSystem* fs, const std::string& workdir, const InitArgs& args,
                            const AdminOptions& options);

Result<AdminResult> RunMoveSlots(FileSystem* fs, const std::string& workdir,
                                 const MoveSlotsRequest& request, const AdminOptions& options);

// reshard with the cluster of the hosts.conf at hosts_path.
Result<AdminResult> RunReshard(FileSystem* fs, const std::string& workdir,
                               const std::string& hosts_path, int64_t orphan_delay,
                               const AdminOptions& options);

Result<AdminResult> RunCreateView(FileSystem* fs, const std::string& workdir,
                                  const CreateViewRequest& request, const AdminOptions& options);
Result<AdminResult> RunDropView(FileSystem* fs, const std::string& workdir, const std::string& ns,
                                const AdminOptions& options);

struct ApplyArgs {
  std::string path;  // the export (`catalog export`)
  bool adopt = false;
  int64_t orphan_delay = kDefaultOrphanDelaySeconds;
  int32_t host_id = -1;  // without a catalog here: this host (-1: IdentifyHost in the export)
};

// catalog apply (cluster_catalog.h) under the global lock. Errors: NotFound for the file,
// CorruptCatalog for a bad export, ApplyClusterCatalog's, IdentifyHost's.
Result<AdminResult> RunApplyCatalog(FileSystem* fs, const std::string& workdir,
                                    const ApplyArgs& args, const AdminOptions& options);

// Reads and parses an export of `catalog export`.
Result<Catalog> ReadClusterCatalog(FileSystem* fs, const std::string& path);

// Reads and parses a hosts.conf.
Result<HostsConf> ReadHostsConf(FileSystem* fs, const std::string& path);

}  // namespace shardtool
