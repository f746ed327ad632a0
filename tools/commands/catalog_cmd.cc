// `shardtool catalog show|reshard|move-slots|create-view|drop-view|export|apply|check`: read and
// change the sharding catalog (doc/acquisition.md §2), and share it across the cluster
// (catalog_cluster_cmd.h). Every change is one atomic replace under the global exclusive lock;
// a change that changes nothing writes nothing.
#include <ostream>

#include "catalog/catalog_admin.h"
#include "catalog/catalog_store.h"
#include "catalog/chunk_version.h"
#include "cli/command.h"
#include "commands/catalog_cluster_cmd.h"
#include "render/catalog_render.h"

namespace shardtool {
namespace {

struct CatalogOptions {
  std::string which;
  std::string hosts;
  int64_t orphan_delay = kDefaultOrphanDelaySeconds;
  std::string slots;
  int32_t to_shard = -1;
  std::vector<std::string> namespaces;
  std::string ns, on, min, max;
  ClusterCatalogOptions cluster;
};

AdminOptions Admin(const GlobalOptions& g) {
  AdminOptions a;
  a.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  a.expect_host_id = g.host_id;
  return a;
}

// "A-B" (inclusive) or "A".
Status ParseSlots(const std::string& text, MoveSlotsRequest* req) {
  const size_t dash = text.find('-');
  auto a = ParseDecimalU32(text.substr(0, dash));
  auto b = dash == std::string::npos ? a : ParseDecimalU32(text.substr(dash + 1));
  if (!a || !b || *a > 8191 || *b > 8191 || *a > *b) {
    return UsageErrorStatus("--slots " + text + ": want A-B with 0 <= A <= B <= 8191");
  }
  req->first = static_cast<int32_t>(*a);
  req->last = static_cast<int32_t>(*b);
  return Status::Ok();
}

int Report(Context& ctx, const GlobalOptions& g, const std::string& command,
           const Result<AdminResult>& r) {
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    *ctx.out << AdminResultJson(command, *r).dump(2) << "\n";
  } else if (!g.quiet) {
    PrintAdminResult(*ctx.out, *r);
  }
  return 0;
}

int RunShow(Context& ctx, const GlobalOptions& g) {
  CatalogStore store(ctx.fs, g.workdir);
  auto loaded = store.Load();
  if (!loaded.ok()) return ReportError(ctx, g, loaded.status());
  const Catalog& c = loaded->catalog;
  if (g.host_id >= 0 && static_cast<size_t>(g.host_id) >= c.cluster.hosts.size()) {
    return ReportError(ctx, g,
                       FailedPreconditionStatus("--host-id " + std::to_string(g.host_id) +
                                                " is not a host of the catalog's cluster"));
  }
  if (g.json) {
    *ctx.out << SerializeCatalog(c);  // the catalog document itself
  } else {
    PrintCatalog(*ctx.out, store.path(), c, g.host_id);
  }
  return 0;
}

int RunChange(Context& ctx, const GlobalOptions& g, const CatalogOptions& o) {
  const AdminOptions admin = Admin(g);
  if (o.which == "reshard") {
    return Report(ctx, g, "catalog reshard",
                  RunReshard(ctx.fs, g.workdir, ResolvePath(g, o.hosts), o.orphan_delay, admin));
  }
  if (o.which == "move-slots") {
    MoveSlotsRequest req;
    Status s = ParseSlots(o.slots, &req);
    if (!s.ok()) return ReportError(ctx, g, s);
    req.to_shard = o.to_shard;
    req.namespaces = o.namespaces;
    req.orphan_delay = o.orphan_delay;
    return Report(ctx, g, "catalog move-slots", RunMoveSlots(ctx.fs, g.workdir, req, admin));
  }
  if (o.which == "create-view") {
    return Report(ctx, g, "catalog create-view",
                  RunCreateView(ctx.fs, g.workdir, {o.ns, o.on, o.min, o.max}, admin));
  }
  return Report(ctx, g, "catalog drop-view", RunDropView(ctx.fs, g.workdir, o.ns, admin));
}

}  // namespace

CommandSpec CatalogCommand() {
  return {
      "catalog", "read and change the sharding catalog (versions bump)",
      [](CLI::App* sub) -> CommandRun {
        auto o = std::make_shared<CatalogOptions>();
        sub->require_subcommand(1);
        CLI::App* show = sub->add_subcommand("show", "print the catalog (--json: the document)");
        CLI::App* reshard = sub->add_subcommand(
            "reshard", "new cluster from a hosts.conf: new generations, default chunks");
        reshard->add_option("--hosts", o->hosts, "the new hosts.conf")->required();
        CLI::App* move =
            sub->add_subcommand("move-slots", "give slots A..B to one shard (versions bump)");
        move->add_option("--slots", o->slots, "slot range A-B, inclusive (0..8191)")->required();
        move->add_option("--to-shard", o->to_shard, "the shard that gets the slots")->required();
        move->add_option("--ns", o->namespaces,
                         "only this collection (repeatable; default: every sharded one)");
        for (CLI::App* s : {reshard, move}) {
          s->add_option("--orphan-delay", o->orphan_delay,
                        "seconds before orphaned records may be cleaned (default 900)")
              ->check(AtLeast(0));
        }
        CLI::App* create =
            sub->add_subcommand("create-view", "add a view: a key range of a collection");
        create->add_option("ns", o->ns, "the view's namespace <db>.<name>")->required();
        create->add_option("--on", o->on, "the collection it shows, same database")->required();
        create->add_option("--min", o->min, "first key, hex (most significant byte first)")
            ->required();
        create->add_option("--max", o->max, "end key, exclusive, hex")->required();
        CLI::App* drop = sub->add_subcommand("drop-view", "remove a view");
        drop->add_option("ns", o->ns, "the view's namespace")->required();
        CLI::App* exp = sub->add_subcommand(
            "export", "print the cluster catalog (all but this host's own members) for apply");
        exp->add_option("--out", o->cluster.out, "write it atomically to FILE instead of stdout");
        CLI::App* apply = sub->add_subcommand(
            "apply", "adopt a cluster catalog of `catalog export` (range deletions derived)");
        apply->add_option("file", o->cluster.file, "the exported cluster catalog")->required();
        apply->add_flag("--adopt", o->cluster.adopt,
                        "first adoption: accept another epoch, take the cluster's uuids");
        apply
            ->add_option("--orphan-delay", o->cluster.orphan_delay,
                         "seconds before orphaned records may be cleaned (default 900)")
            ->check(CLI::NonNegativeNumber);
        CLI::App* check = sub->add_subcommand(
            "check", "compare this host's catalog with a cluster catalog (exit 1: differences)");
        check->add_option("file", o->cluster.file, "the exported cluster catalog")->required();
        for (CLI::App* s : {show, reshard, move, create, drop, exp, apply, check}) {
          s->final_callback([o, s]() { o->which = s->get_name(); });
        }
        return [o](Context& ctx, const GlobalOptions& g) -> int {
          if (o->which == "show") return RunShow(ctx, g);
          if (o->which == "export") return RunCatalogExport(ctx, g, o->cluster);
          if (o->which == "apply") return RunCatalogApply(ctx, g, o->cluster);
          if (o->which == "check") return RunCatalogCheck(ctx, g, o->cluster);
          return RunChange(ctx, g, *o);
        };
      }};
}

}  // namespace shardtool
