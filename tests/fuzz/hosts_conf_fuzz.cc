// libFuzzer target: ParseHostsConf never crashes, and whatever it accepts survives a
// FormatHostsConf round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "format/hosts_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  shardtool::Result<shardtool::HostsConf> r = shardtool::ParseHostsConf(text, "fuzz.conf");
  if (!r.ok()) {
    if (r.status().code() != shardtool::ErrorCode::kCorruption) std::abort();
    return 0;
  }
  const shardtool::HostsConf& c = *r;
  if (c.num_shards < 1 || c.hosts.size() % static_cast<size_t>(c.num_shards) != 0) std::abort();
  for (size_t i = 0; i < c.hosts.size(); i++) {
    if (c.hosts[i].id != static_cast<int32_t>(i)) std::abort();
    if (c.hosts[i].shard != static_cast<int32_t>(i % static_cast<size_t>(c.num_shards)))
      std::abort();
    if (c.hosts[i].workdir.empty() || c.hosts[i].workdir[0] != '/') std::abort();
  }
  std::string text2 = shardtool::FormatHostsConf(c);
  shardtool::Result<shardtool::HostsConf> back = shardtool::ParseHostsConf(text2, "fuzz.conf");
  if (!back.ok() || !(*back == c)) std::abort();
  if (shardtool::FormatHostsConf(*back) != text2) std::abort();
  return 0;
}
