// hosts.conf (doc/format.md §7, GB Hostdb::init): the cluster's hosts, shard count and mirrors.
//
// Text rules: '#' starts a comment to the end of the line; blank lines are ignored. Directives
// (case-sensitive, at the start of a line): "num-mirrors: M", "index-splits: S", "working-dir:
// DIR", "port-offset: N" (ignored). Lines starting (any case) with "spare", "proxy", "qcproxy" or
// "scproxy" are ignored. A grunt line starts with a digit:
//
//   hostId dnsClientPort httpsPort httpPort udpPort ip1|name [ip2|name [workdir [note...]]]
//
// Invariants of a parsed HostsConf: hosts[i].id == i (H5), hosts[i].shard == i % num_shards,
// num_shards >= 1 and hosts.size() == num_shards * (num_mirrors + 1) (H2, H3), every workdir is
// absolute (H4). num-mirrors wins over index-splits when both are given (as GB), and num_mirrors is
// the effective count hosts / num_shards - 1.
//
// shardtool decisions [sd]: names (ip1, ip2) are 1..15 characters of [A-Za-z0-9.] (GB stops a
// name at any other character); a missing ip2 defaults to ip1 (as GB); ports are 0..65535; a token
// after the names that does not start with '/' is a relative workdir (H4); words after the
// workdir are a note (GB's "noquery"/"nospider"), kept joined by single spaces; directive values
// must be plain non-negative integers (H1 otherwise). Workdirs are stored with trailing '/'
// stripped ("/a/b/" -> "/a/b"; "/" stays "/"); GB stores them with one trailing '/' in a 128-byte
// buffer, so the stripped form plus '/' must be <= 127 characters (H4).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardtool {

constexpr size_t kMaxHostNameLength = 15;
constexpr size_t kMaxWorkDirLength = 127;  // including the trailing '/' GB appends

struct HostEntry {
  int32_t id = 0;
  int32_t shard = 0;
  int32_t dns_port = 0, https_port = 0, http_port = 0, udp_port = 0;
  std::string ip1, ip2, workdir;
  int line = 0;      // 1-based line in the parsed text (0 when built in code)
  std::string note;  // words after the workdir, or empty

  // Equality ignores `line`, so a conf compares equal to its FormatHostsConf round trip.
  friend bool operator==(const HostEntry& a, const HostEntry& b) {
    return a.id == b.id && a.shard == b.shard && a.dns_port == b.dns_port &&
           a.https_port == b.https_port && a.http_port == b.http_port && a.udp_port == b.udp_port &&
           a.ip1 == b.ip1 && a.ip2 == b.ip2 && a.workdir == b.workdir && a.note == b.note;
  }
};

struct HostsConf {
  int32_t num_shards = 0;
  int32_t num_mirrors = 0;
  std::string working_dir;  // the working-dir: directive (normalised), or empty
  std::vector<HostEntry> hosts;

  friend bool operator==(const HostsConf&, const HostsConf&) = default;
};

// Parses hosts.conf text. Every rule violation is a Corruption whose message names the file, the
// line when there is one, and the rule: "hosts.conf: line 7: bad line 'xyz' (H1)".
Result<HostsConf> ParseHostsConf(std::string_view text, std::string_view file_name);

// Writes a hosts.conf that ParseHostsConf reads back equal to `conf`: a header comment,
// "num-mirrors:", "working-dir:" when set, then one grunt line per host with its workdir.
// REQUIRES: conf satisfies the invariants above (as ParseHostsConf's results do).
std::string FormatHostsConf(const HostsConf& conf);

}  // namespace shardtool
