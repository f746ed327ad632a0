// `shardtool init [--hosts FILE] [--host-id N] [--rebuild]`: make or refresh shardtool/catalog.json
// from hosts.conf and the database dirs of the working dir (doc/acquisition.md §2). Idempotent:
// without a change the file is not touched. Without --host-id (and without a catalog), this host is
// the entry of hosts.conf with a local address and this working dir (host_identity.h).
#include <ostream>

#include "catalog/catalog_admin.h"
#include "cli/command.h"
#include "render/catalog_render.h"

namespace shardtool {
namespace {

struct InitOptions {
  std::string hosts;
  bool rebuild = false;
};

int Run(Context& ctx, const GlobalOptions& g, const InitOptions& o) {
  InitArgs args;
  args.hosts_path = o.hosts.empty() ? "" : ResolvePath(g, o.hosts);
  args.host_id = g.host_id;
  args.rebuild = o.rebuild;
  AdminOptions admin;
  admin.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  admin.local = ctx.local;
  auto r = RunInit(ctx.fs, g.workdir, args, admin);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    *ctx.out << AdminResultJson("init", *r).dump(2) << "\n";
  } else if (!g.quiet) {
    PrintAdminResult(*ctx.out, *r);
  }
  return 0;
}

}  // namespace

CommandSpec InitCommand() {
  return {"init", "make or refresh shardtool/catalog.json from hosts.conf and the coll dirs",
          [](CLI::App* sub) -> CommandRun {
            auto o = std::make_shared<InitOptions>();
            sub->add_option("--hosts", o->hosts,
                            "hosts.conf to read (default: <workdir>/hosts.conf)");
            sub->add_flag("--rebuild", o->rebuild,
                          "make the catalog from nothing: new epoch and UUIDs");
            return [o](Context& ctx, const GlobalOptions& g) { return Run(ctx, g, *o); };
          }};
}

}  // namespace shardtool
