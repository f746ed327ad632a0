// `shardtool cluster inventory [--hosts FILE]`: the hosts of hosts.conf as Ansible's JSON inventory
// (issue 17 §3): group `shardtool` with every host, `shard_<n>` per shard and `mirror_<m>` per
// mirror rank (host id / numShards); host names host<id>; host vars ansible_host (ip1),
// shardtool_workdir, shardtool_host_id, shardtool_shard, shardtool_mirror. Connection settings
// (user, key) stay in the operator's Ansible configuration. Read-only; --json changes nothing (the
// output is JSON either way).
#include <ostream>

#include "catalog/catalog_admin.h"
#include "cli/command.h"
#include "render/json_render.h"

namespace shardtool {
namespace {

struct ClusterOptions {
  std::string hosts;
};

Json Inventory(const HostsConf& conf) {
  Json hostvars = Json::object();
  Json all = Json::array();
  std::vector<Json> shards(static_cast<size_t>(conf.num_shards), Json::array());
  std::vector<Json> mirrors(static_cast<size_t>(conf.num_mirrors + 1), Json::array());
  for (const HostEntry& h : conf.hosts) {
    const std::string name = "host" + std::to_string(h.id);
    const int32_t mirror = h.id / conf.num_shards;
    hostvars[name] = {{"ansible_host", h.ip1},
                      {"shardtool_workdir", h.workdir},
                      {"shardtool_host_id", h.id},
                      {"shardtool_shard", h.shard},
                      {"shardtool_mirror", mirror}};
    all.push_back(name);
    shards[static_cast<size_t>(h.shard)].push_back(name);
    mirrors[static_cast<size_t>(mirror)].push_back(name);
  }
  Json j;
  j["_meta"] = {{"hostvars", hostvars}};
  j["all"] = {{"children", Json::array({"shardtool"})}};
  j["shardtool"] = {{"hosts", all}};
  for (size_t s = 0; s < shards.size(); s++)
    j["shard_" + std::to_string(s)] = {{"hosts", shards[s]}};
  for (size_t m = 0; m < mirrors.size(); m++) {
    j["mirror_" + std::to_string(m)] = {{"hosts", mirrors[m]}};
  }
  return j;
}

int RunInventory(Context& ctx, const GlobalOptions& g, const ClusterOptions& o) {
  const std::string path = ResolvePath(g, o.hosts.empty() ? "hosts.conf" : o.hosts);
  auto conf = ReadHostsConf(ctx.fs, path);
  if (!conf.ok()) return ReportError(ctx, g, conf.status());
  *ctx.out << Inventory(*conf).dump(2) << "\n";
  return 0;
}

}  // namespace

CommandSpec ClusterCommand() {
  return {"cluster", "the cluster of hosts.conf for other tools (Ansible inventory)",
          [](CLI::App* sub) -> CommandRun {
            auto o = std::make_shared<ClusterOptions>();
            sub->require_subcommand(1);
            CLI::App* inv = sub->add_subcommand(
                "inventory", "print hosts.conf as Ansible's JSON inventory (groups, host vars)");
            inv->add_option("--hosts", o->hosts,
                            "hosts.conf to read (default: <workdir>/hosts.conf)");
            return [o](Context& ctx, const GlobalOptions& g) { return RunInventory(ctx, g, *o); };
          }};
}

}  // namespace shardtool
