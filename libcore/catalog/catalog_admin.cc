#include "catalog/catalog_admin.h"

#include "catalog/cluster_catalog.h"
#include "catalog/discovery.h"

namespace shardtool {
namespace {

OpEnv MakeEnv(FileSystem* fs, const AdminOptions& options) {
  OpEnv env;
  env.uuids = options.uuids ? options.uuids : RandomUuidGenerator();
  env.now = fs->NowMicros() / 1000000;
  return env;
}

Status RefusedHere(const Catalog& c) {
  return FailedPreconditionStatus(
      "this host's catalog is the cluster's, whose config host is " + ConfigHostText(c) +
      ": change it there, then `shardtool catalog export` it and `shardtool catalog apply` it "
      "on every host");
}

// Wraps an operation on an existing catalog: no catalog (or an unreadable one) is its load error;
// a catalog of another host than options.expect_host_id is FailedPrecondition.
CatalogStore::Change OnExisting(const AdminOptions& options,
                                std::function<Result<OpResult>(const Catalog&)> op) {
  const int32_t expect = options.expect_host_id;
  return [op = std::move(op), expect](const CatalogStore::Current& cur) -> Result<OpResult> {
    if (cur.catalog == nullptr) return cur.load_status;
    if (expect >= 0 && cur.catalog->this_host != expect) {
      return FailedPreconditionStatus(
          "the catalog is host " + std::to_string(cur.catalog->this_host) + "'s, not host " +
          std::to_string(expect) + "'s (run `shardtool init --host-id " + std::to_string(expect) +
          "` on this host's working dir)");
    }
    if (ChangesRefusedHere(*cur.catalog)) return RefusedHere(*cur.catalog);
    return op(*cur.catalog);
  };
}

Result<AdminResult> Apply(FileSystem* fs, const std::string& workdir, const AdminOptions& options,
                          const CatalogStore::Change& change) {
  CatalogStore store(fs, workdir, options.store);
  ASSIGN_OR_RETURN(CatalogStore::UpdateResult u, store.Update(change, options.lock_timeout_ms));
  AdminResult r;
  r.catalog = std::move(u.catalog);
  r.written = u.written;
  r.notes = std::move(u.notes);
  return r;
}

}  // namespace

Result<HostsConf> ReadHostsConf(FileSystem* fs, const std::string& path) {
  auto text = ReadFileToString(fs, path, uint64_t{16} << 20);
  if (!text.ok())
    return text.status().code() == ErrorCode::kNotFound
               ? NotFoundStatus(path + ": no hosts.conf (give --hosts FILE)")
               : text.status();
  return ParseHostsConf(*text, path);
}

Result<AdminResult> RunInit(FileSystem* fs, const std::string& workdir, const InitArgs& args,
                            const AdminOptions& options) {
  const std::string hosts_path =
      args.hosts_path.empty() ? JoinPath(workdir, "hosts.conf") : args.hosts_path;
  ASSIGN_OR_RETURN(HostsConf hosts, ReadHostsConf(fs, hosts_path));
  const OpEnv env = MakeEnv(fs, options);
  Discovery disk;
  auto change = [&](const CatalogStore::Current& cur) -> Result<OpResult> {
    // Listed under the global lock, so that two inits never write from different listings in
    // the wrong order.
    ASSIGN_OR_RETURN(disk, DiscoverDatabases(fs, workdir));
    if (cur.catalog == nullptr && !cur.load_status.ok() &&
        cur.load_status.code() != ErrorCode::kNotFound && !args.rebuild) {
      Status s = cur.load_status;
      return s.Prefix("the catalog is unreadable (make a new one with `shardtool init --rebuild`)");
    }
    InitRequest req;
    req.hosts = hosts;
    req.host_id =
        args.host_id >= 0 ? args.host_id : (cur.catalog != nullptr ? cur.catalog->this_host : -1);
    if (req.host_id < 0) {
      ASSIGN_OR_RETURN(req.host_id,
                       IdentifyHost(HostAddressesOf(hosts), workdir,
                                    options.local ? options.local : SystemLocalHost(), hosts_path));
    }
    req.databases = disk.databases;
    req.rebuild = args.rebuild;
    ASSIGN_OR_RETURN(OpResult made, InitCatalog(cur.catalog, req, env));
    if (made.changed && !args.rebuild && cur.catalog != nullptr &&
        ChangesRefusedHere(*cur.catalog)) {
      return RefusedHere(*cur.catalog);
    }
    return made;
  };
  ASSIGN_OR_RETURN(AdminResult r, Apply(fs, workdir, options, change));
  r.ignored = std::move(disk.ignored);
  return r;
}

Result<Catalog> ReadClusterCatalog(FileSystem* fs, const std::string& path) {
  auto text = ReadFileToString(fs, path, uint64_t{256} << 20);
  if (!text.ok()) return text.status();
  return ParseClusterCatalog(*text, path);
}

Result<AdminResult> RunApplyCatalog(FileSystem* fs, const std::string& workdir,
                                    const ApplyArgs& args, const AdminOptions& options) {
  ApplyRequest req;
  ASSIGN_OR_RETURN(req.cluster, ReadClusterCatalog(fs, args.path));
  req.adopt = args.adopt;
  req.orphan_delay = args.orphan_delay;
  req.host_id = args.host_id;
  const OpEnv env = MakeEnv(fs, options);
  auto change = [&](const CatalogStore::Current& cur) -> Result<OpResult> {
    if (cur.catalog == nullptr && cur.load_status.code() != ErrorCode::kNotFound) {
      return cur.load_status;
    }
    if (cur.catalog != nullptr && options.expect_host_id >= 0 &&
        cur.catalog->this_host != options.expect_host_id) {
      return FailedPreconditionStatus("the catalog is host " +
                                      std::to_string(cur.catalog->this_host) + "'s, not host " +
                                      std::to_string(options.expect_host_id) + "'s");
    }
    if (cur.catalog == nullptr && req.host_id < 0) {
      ASSIGN_OR_RETURN(req.host_id, IdentifyHost(HostAddressesOf(req.cluster.cluster), workdir,
                                                 options.local ? options.local : SystemLocalHost(),
                                                 "the cluster catalog"));
    }
    return ApplyClusterCatalog(cur.catalog, req, env);
  };
  return Apply(fs, workdir, options, change);
}

Result<AdminResult> RunMoveSlots(FileSystem* fs, const std::string& workdir,
                                 const MoveSlotsRequest& request, const AdminOptions& options) {
  const OpEnv env = MakeEnv(fs, options);
  return Apply(fs, workdir, options,
               OnExisting(options, [&](const Catalog& c) { return MoveSlots(c, request, env); }));
}

Result<AdminResult> RunReshard(FileSystem* fs, const std::string& workdir,
                               const std::string& hosts_path, int64_t orphan_delay,
                               const AdminOptions& options) {
  ReshardRequest req;
  ASSIGN_OR_RETURN(req.hosts, ReadHostsConf(fs, hosts_path));
  req.orphan_delay = orphan_delay;
  const OpEnv env = MakeEnv(fs, options);
  return Apply(fs, workdir, options,
               OnExisting(options, [&](const Catalog& c) { return Reshard(c, req, env); }));
}

Result<AdminResult> RunCreateView(FileSystem* fs, const std::string& workdir,
                                  const CreateViewRequest& request, const AdminOptions& options) {
  const OpEnv env = MakeEnv(fs, options);
  return Apply(fs, workdir, options,
               OnExisting(options, [&](const Catalog& c) { return CreateView(c, request, env); }));
}

Result<AdminResult> RunDropView(FileSystem* fs, const std::string& workdir, const std::string& ns,
                                const AdminOptions& options) {
  const OpEnv env = MakeEnv(fs, options);
  return Apply(fs, workdir, options,
               OnExisting(options, [&](const Catalog& c) { return DropView(c, ns, env); }));
}

}  // namespace shardtool
