#include "catalog/host_identity.h"

#include <set>

namespace shardtool {
namespace {

std::string Describe(const HostAddress& h) {
  std::string ips;
  for (const std::string& ip : h.ips) ips += (ips.empty() ? "" : "/") + ip;
  return "host " + std::to_string(h.id) + " (" + ips + " " + h.workdir + ")";
}

std::string List(const std::vector<const HostAddress*>& hosts) {
  std::string out;
  for (const HostAddress* h : hosts) out += (out.empty() ? "" : ", ") + Describe(*h);
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<HostAddress> HostAddressesOf(const HostsConf& hosts) {
  std::vector<HostAddress> out;
  for (const HostEntry& h : hosts.hosts) {
    HostAddress a{h.id, {h.ip1}, h.workdir};
    if (!h.ip2.empty() && h.ip2 != h.ip1) a.ips.push_back(h.ip2);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<HostAddress> HostAddressesOf(const ClusterInfo& cluster) {
  std::vector<HostAddress> out;
  for (const CatalogHost& h : cluster.hosts) out.push_back({h.id, {h.ip}, h.workdir});
  return out;
}

Result<int32_t> IdentifyHost(const std::vector<HostAddress>& hosts, const std::string& workdir,
                             LocalHost* local, const std::string& what) {
  ASSIGN_OR_RETURN(std::vector<std::string> addresses, local->Addresses());
  const std::set<std::string> mine(addresses.begin(), addresses.end());
  const std::string dir = local->Canonical(workdir);
  std::vector<const HostAddress*> both, by_ip, by_dir;
  for (const HostAddress& h : hosts) {
    bool ip = false;
    for (const std::string& a : h.ips) ip = ip || mine.count(a) > 0;
    const bool same_dir = local->Canonical(h.workdir) == dir;
    if (ip && same_dir) both.push_back(&h);
    if (ip && !same_dir) by_ip.push_back(&h);
    if (same_dir && !ip) by_dir.push_back(&h);
  }
  if (both.size() == 1) return both[0]->id;
  if (both.size() > 1) {
    return FailedPreconditionStatus("this host is ambiguous in " + what + ": " + List(both) +
                                    " all have a local address and the working dir " + dir +
                                    "; give --host-id N");
  }
  std::string local_text;
  for (const std::string& a : addresses) local_text += (local_text.empty() ? "" : " ") + a;
  return FailedPreconditionStatus("no host of " + what + " has a local address (" + local_text +
                                  ") and the working dir " + dir +
                                  "; candidates by address: " + List(by_ip) +
                                  "; by working dir: " + List(by_dir) + "; give --host-id N");
}

}  // namespace shardtool
