// Host identity (issue 17 §1): a host finds itself in hosts.conf (or in a cluster catalog) by its
// IP and working dir: the entry whose ip1 or ip2 is the address of a local interface and whose
// working dir is --workdir (both compared in canonical form, LocalHost::Canonical). Several hosts
// of one machine differ by their working dirs; one working dir on two IPs of other machines
// differs by the IP. No match, or more than one, is FailedPrecondition (exit 3) naming the
// candidates (the entries that match by IP or by working dir) and asking for --host-id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "format/hosts_conf.h"
#include "io/local_host.h"

namespace shardtool {

struct HostAddress {
  int32_t id = 0;
  std::vector<std::string> ips;  // ip1, and ip2 when it differs
  std::string workdir;
};

std::vector<HostAddress> HostAddressesOf(const HostsConf& hosts);
std::vector<HostAddress> HostAddressesOf(const ClusterInfo& cluster);

// The id of the one host that is this one (see above). `what` names the list in messages
// ("hosts.conf", "the cluster catalog").
Result<int32_t> IdentifyHost(const std::vector<HostAddress>& hosts, const std::string& workdir,
                             LocalHost* local, const std::string& what);

}  // namespace shardtool
