#include "commands/catalog_cluster_cmd.h"

#include <ostream>

#include "catalog/catalog_admin.h"
#include "catalog/catalog_store.h"
#include "catalog/cluster_catalog.h"
#include "io/atomic_file.h"
#include "render/catalog_render.h"

namespace shardtool {

int RunCatalogExport(Context& ctx, const GlobalOptions& g, const ClusterCatalogOptions& o) {
  CatalogStore store(ctx.fs, g.workdir);
  auto loaded = store.Load();
  if (!loaded.ok()) return ReportError(ctx, g, loaded.status());
  const Catalog& c = loaded->catalog;
  const std::string text = SerializeClusterCatalog(c);
  if (o.out.empty()) {
    *ctx.out << text;  // the document itself, with or without --json
    return 0;
  }
  const std::string path = ResolvePath(g, o.out);
  if (Status s = WriteFileAtomically(ctx.fs, path, text); !s.ok()) return ReportError(ctx, g, s);
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "catalog export";
    j["out"] = DisplayPath(g, path);
    j["catalog"] = {{"epoch", c.epoch}, {"version", c.version}};
    j["configHost"] = ConfigHostOf(c);
    *ctx.out << j.dump(2) << "\n";
  } else if (!g.quiet) {
    *ctx.out << "cluster catalog version " << c.version << " (epoch " << c.epoch << ", config host "
             << ConfigHostOf(c) << ") written to " << DisplayPath(g, path) << "\n";
  }
  return 0;
}

int RunCatalogApply(Context& ctx, const GlobalOptions& g, const ClusterCatalogOptions& o) {
  ApplyArgs args;
  args.path = ResolvePath(g, o.file);
  args.adopt = o.adopt;
  args.orphan_delay = o.orphan_delay;
  args.host_id = g.host_id;
  AdminOptions admin;
  admin.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  admin.expect_host_id = g.host_id;
  admin.local = ctx.local;
  auto r = RunApplyCatalog(ctx.fs, g.workdir, args, admin);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    Json j = AdminResultJson("catalog apply", *r);
    j["changed"] = r->written;
    j["configHost"] = ConfigHostOf(r->catalog);
    *ctx.out << j.dump(2) << "\n";
  } else if (!g.quiet) {
    PrintAdminResult(*ctx.out, *r);
  }
  return 0;
}

int RunCatalogCheck(Context& ctx, const GlobalOptions& g, const ClusterCatalogOptions& o) {
  CatalogStore store(ctx.fs, g.workdir);
  auto loaded = store.Load();
  if (!loaded.ok()) return ReportError(ctx, g, loaded.status());
  auto cluster = ReadClusterCatalog(ctx.fs, ResolvePath(g, o.file));
  if (!cluster.ok()) return ReportError(ctx, g, cluster.status());
  const std::vector<std::string> diffs = CatalogDifferences(loaded->catalog, *cluster);
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "catalog check";
    j["agree"] = diffs.empty();
    j["here"] = {{"epoch", loaded->catalog.epoch}, {"version", loaded->catalog.version}};
    j["cluster"] = {{"epoch", cluster->epoch}, {"version", cluster->version}};
    j["differences"] = diffs;
    *ctx.out << j.dump(2) << "\n";
  } else {
    for (const std::string& d : diffs) *ctx.out << d << "\n";
    if (!g.quiet) {
      *ctx.out << (diffs.empty() ? "this host's catalog agrees with the cluster catalog (version "
                                 : "this host's catalog differs from the cluster catalog (version ")
               << cluster->version << ")\n";
    }
  }
  return diffs.empty() ? 0 : 1;
}

}  // namespace shardtool
