// Import benchmark (doc/architecture.md §8, issue 6): `shardtool import` of a foreign cluster's
// titledb files into a 2-shard cluster with 2 hosts per shard (all on this machine), against a bare
// route-to-shards of the same records measured in the same run: read the source files in 1 MiB
// reads, parse each record (key, size, data), route it by its docId slot and append it to one file
// per host of its shard (2 mirrors), fsync everything. Bytes written are counted on both sides.
// The import runs in a fresh process so that its peak RSS is its own; the target is 0.6 x the bare
// route and memory under --memory + 64 MiB. With an input several times --memory (e.g. --memory
// 32M on the default 300 MB) the import spills sorted runs and merges them at its commit.
//   import_bench [--docs N] [--memory BYTES] [--commit-every BYTES] [--runs R] [--dir D] [--keep]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include "bench/bench_util.h"
#include "catalog/catalog_admin.h"
#include "format/hosts_conf.h"
#include "format/rdb_registry.h"
#include "jobs/import/import_job.h"

namespace shardtool::bench {
namespace {

int runs = 3;

void MakeCluster(const std::string& root) {
  std::filesystem::remove_all(root);
  gen::GenOptions o;
  o.out = root;
  o.shards = 2;
  o.mirrors = 1;
  o.docs = 20;
  o.files = 1;
  o.rdbs = {"titledb"};
  gen::GenReport rep;
  if (!gen::GenerateCluster(PosixFS(), o, &rep).ok()) std::exit(1);
  for (int h = 0; h < 4; ++h) {
    InitArgs a;
    a.host_id = h;
    a.hosts_path = root + "/hosts.conf";
    auto r = RunInit(PosixFS(), root + "/host" + std::to_string(h), a, AdminOptions{});
    if (!r.ok()) {
      std::fprintf(stderr, "init: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
  }
}

// The bare route: returns bytes written (2 mirrors).
uint64_t BareRoute(const std::string& src, const std::string& out) {
  std::filesystem::remove_all(out);
  std::filesystem::create_directories(out);
  std::vector<int> fds;
  for (int h = 0; h < 4; ++h) {
    fds.push_back(
        ::open((out + "/h" + std::to_string(h)).c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644));
  }
  std::vector<std::string> bufs(4);
  uint64_t written = 0;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(src)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("titledb", 0) == 0 && n.find(".dat") != std::string::npos) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  std::vector<uint8_t> buf(size_t{1} << 20);
  auto flush = [&](int h) {
    if (::write(fds[h], bufs[h].data(), bufs[h].size()) < 0) std::exit(1);
    written += bufs[h].size();
    bufs[h].clear();
  };
  for (const std::string& n : names) {
    const int fd = ::open((src + "/" + n).c_str(), O_RDONLY);
    size_t len = 0, pos = 0;
    for (;;) {
      if (pos > 0) {
        std::memmove(buf.data(), buf.data() + pos, len - pos);
        len -= pos;
        pos = 0;
      }
      if (len == buf.size()) buf.resize(buf.size() * 2);
      const ssize_t got = ::read(fd, buf.data() + len, buf.size() - len);
      if (got <= 0) break;
      len += static_cast<size_t>(got);
      while (len - pos >= 12) {
        const uint8_t* p = buf.data() + pos;
        size_t rec = 12;
        if (p[0] & 1) {
          if (len - pos < 16) break;
          int32_t ds;
          std::memcpy(&ds, p + 12, 4);
          rec = 16 + static_cast<size_t>(ds);
        }
        if (len - pos < rec) break;
        if (p[0] & 1) {
          const int shard = KeySlotT<SlotKind::kTitledbDocId>(p) % 2;
          for (int h : {shard, shard + 2}) {
            bufs[h].append(reinterpret_cast<const char*>(p), rec);
            if (bufs[h].size() >= (size_t{1} << 20)) flush(h);
          }
        }
        pos += rec;
      }
    }
    ::close(fd);
  }
  for (int h = 0; h < 4; ++h) {
    flush(h);
    ::fsync(fds[h]);
    ::close(fds[h]);
  }
  return written;
}

int MeasureImport(const std::string& src, const std::string& root, uint64_t memory,
                  uint64_t commit_every) {
  ImportRequest req;
  req.workdir = root + "/host0";
  req.database = "main";
  req.source_dir = src;
  req.memory = memory;
  req.commit_every = commit_every;
  req.force = true;
  const double t0 = Now();
  auto r = RunImport(PosixFS(), req, ImportEnv{});
  const double t = Now() - t0;
  if (!r.ok() || !r->outcome.ok()) {
    std::fprintf(stderr, "import: %s\n", (r.ok() ? r->outcome : r.status()).ToString().c_str());
    return 1;
  }
  std::printf("IMPORT %.4f %llu %llu %lld %ld %lld %lld %lld %llu\n", t,
              static_cast<unsigned long long>(r->bytes_read),
              static_cast<unsigned long long>(r->bytes_written), static_cast<long long>(r->records),
              PeakRssKiB(), static_cast<long long>(r->batches),
              static_cast<long long>(r->runs_spilled), static_cast<long long>(r->run_merges),
              static_cast<unsigned long long>(r->spill_bytes));
  return 0;
}

}  // namespace
}  // namespace shardtool::bench

int main(int argc, char** argv) {
  using namespace shardtool::bench;
  std::string dir = "/tmp/shardtool-import-bench";
  uint64_t docs = 60000, memory = uint64_t{256} << 20, commit_every = uint64_t{4} << 30;
  bool keep = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); i++) {
    auto next = [&]() { return i + 1 < args.size() ? args[++i] : std::string(); };
    if (args[i] == "--measure") {
      const std::string src = next(), root = next();
      const uint64_t m = std::stoull(next());
      return MeasureImport(src, root, m, std::stoull(next()));
    } else if (args[i] == "--dir") {
      dir = next();
    } else if (args[i] == "--docs") {
      docs = std::stoull(next());
    } else if (args[i] == "--memory") {
      memory = std::stoull(next());
    } else if (args[i] == "--commit-every") {
      commit_every = std::stoull(next());
    } else if (args[i] == "--runs") {
      runs = std::stoi(next());
    } else if (args[i] == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr,
                   "usage: import_bench [--docs N] [--memory BYTES] [--commit-every BYTES] "
                   "[--runs R] [--dir D]\n");
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  const std::string src = Generate(dir + "/foreign", "titledb", docs, 3, false);
  std::vector<double> bare, imp;
  uint64_t bare_bytes = 0;
  for (int r = 0; r < runs; ++r) {
    const double t0 = Now();
    bare_bytes = BareRoute(src, dir + "/bare");
    bare.push_back(Now() - t0);
    MakeCluster(dir + "/c");
    const std::string out = dir + "/measure.out";
    if (!RunSelf("--measure " + src + " " + dir + "/c " + std::to_string(memory) + " " +
                 std::to_string(commit_every) + " > " + out)) {
      return 1;
    }
    FILE* f = std::fopen(out.c_str(), "r");
    double t = 0;
    unsigned long long in = 0, written = 0;
    long long records = 0;
    long rss = 0;
    long long commits = 0, spilled = 0, merges = 0;
    unsigned long long spill_bytes = 0;
    if (std::fscanf(f, "IMPORT %lf %llu %llu %lld %ld %lld %lld %lld %llu", &t, &in, &written,
                    &records, &rss, &commits, &spilled, &merges, &spill_bytes) != 9) {
      return 1;
    }
    std::fclose(f);
    imp.push_back(t);
    std::printf(
        "run %d: bare %.3f s (%.1f MB written), import %.3f s (%lld records, %.1f MB read, "
        "%.1f MB written), import peak RSS %.1f MiB\n",
        r + 1, bare.back(), bare_bytes / 1e6, t, records, in / 1e6, written / 1e6, rss / 1024.0);
    const double limit = static_cast<double>(memory >> 20) + 64;
    std::printf(
        "  %lld commits, %lld runs spilled (%.1f MB), %lld run merges; peak RSS %.1f MiB vs "
        "--memory + 64 MiB = %.0f MiB: %s\n",
        commits, spilled, spill_bytes / 1e6, merges, rss / 1024.0, limit,
        rss / 1024.0 <= limit ? "ok" : "OVER");
  }
  const double b = Median(bare), i = Median(imp);
  std::printf(
      "median: bare route-to-shards %.3f s, import %.3f s: import = %.2f x bare "
      "(target >= 0.6)\n",
      b, i, b / i);
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
