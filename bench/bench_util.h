// Small helpers shared by the benchmarks: timing, medians, peak RSS, running a measurement in a
// fresh process (so its peak RSS is its own), and generating one-shard sample data.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gen/sample_cluster.h"
#include "io/file_system.h"

namespace shardtool::bench {

inline double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

inline long PeakRssKiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Runs this benchmark binary again with `args` (a fresh process); false on failure.
inline bool RunSelf(const std::string& args) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::fflush(stdout);
  return std::system((self + " " + args).c_str()) == 0;
}

// Writes a one-shard, one-host sample of `rdb` with `docs` documents in `files` files under out;
// returns the collection dir (out/host0/coll.main.0).
inline std::string Generate(const std::string& out, const std::string& rdb, uint64_t docs,
                            int files, bool sidecars = true) {
  gen::GenOptions o;
  o.out = out;
  o.shards = 1;
  o.mirrors = 0;
  o.docs = docs;
  o.files = files;
  o.negatives = 0;
  o.rdbs = {rdb};
  o.page_variety = 512;
  o.sidecars = sidecars;
  gen::GenReport rep;
  Status st = gen::GenerateCluster(PosixFS(), o, &rep);
  if (!st.ok()) {
    std::fprintf(stderr, "generate: %s\n", st.ToString().c_str());
    std::exit(1);
  }
  return out + "/host0/coll.main.0";
}

}  // namespace shardtool::bench
