// Scan benchmark (issue: foundation; doc/architecture.md §8). In one run, on page-cached files it
// writes itself with the sample generator:
//   - plain 1 MiB reads of each file (the ceiling),
//   - a full record scan doing what verify does per record: decode, order check, slot,
// for a posdb file (small records) and a titledb file (large records, no inflation). Reports
// MB/s and records/s (median of --runs), the ratio to the plain read, and the peak RSS.
//   scan_bench [--dir D] [--posdb-docs N] [--titledb-docs N] [--runs R] [--keep]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "format/file_name.h"
#include "gen/sample_cluster.h"
#include "iter/data_file.h"
#include "iter/record_scanner.h"

using namespace shardtool;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

long PeakRssKiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Plain reads of every part, 1 MiB at a time.
double PlainRead(FileSystem* fs, const DataFile& df) {
  std::vector<uint8_t> buf(1 << 20);
  uint64_t sink = 0;
  const double t0 = Now();
  for (const PartInfo& p : df.big->parts()) {
    auto f = fs->OpenForRead(JoinPath(df.big->dir(), p.name));
    if (!f.ok()) std::abort();
    for (uint64_t off = 0; off < p.size; off += buf.size()) {
      size_t got = 0;
      if (!(*f)->Read(off, buf.size(), buf.data(), &got).ok()) std::abort();
      sink += buf[got / 2];
    }
  }
  const double t = Now() - t0;
  if (sink == 42) std::puts("");
  return t;
}

struct ScanResult {
  double seconds;
  uint64_t records;
};

// Verify's per-record work, compiled for the Rdb's key size and slot function.
template <int KS, SlotKind K>
ScanResult ScanShape(DataFile& df) {
  const RdbInfo& rdb = *df.rdb;
  uint8_t prev[KS] = {};
  uint64_t records = 0, disorder = 0, slot_sum = 0;
  const double t0 = Now();
  RecordScanner s(df.big.get(), rdb, {});
  for (s.SeekToStart(); s.Valid(); s.Next()) {
    const uint8_t* key = s.record().key;
    disorder += CompareKeysT<KS>(key, prev) < 0;
    CopyKeyT<KS>(prev, key);
    slot_sum += static_cast<uint64_t>(KeySlotT<K>(key));
    records++;
  }
  const double t = Now() - t0;
  if (!s.status().ok() || disorder != 0) {
    std::fprintf(stderr, "scan failed: %s (disorder %llu)\n", s.status().ToString().c_str(),
                 static_cast<unsigned long long>(disorder));
    std::exit(1);
  }
  if (slot_sum == 1) std::puts("");
  return {t, records};
}

ScanResult Scan(DataFile& df) {
  return VisitRdbShape(*df.rdb,
                       [&](auto ks, auto kind) { return ScanShape<ks.value, kind.value>(df); });
}

}  // namespace

// Measures one generated file in this (fresh) process, so the peak RSS is the scan's own.
int Measure(const std::string& cdir, const std::string& rdb_name, int runs) {
  FileSystem* fs = PosixFS();
  const RdbInfo& rdb = *FindRdb(rdb_name);
  auto df = OpenDataFile(fs, cdir, DataName(rdb.name, 1, rdb.titledb_naming), nullptr, {}, nullptr);
  if (!df.ok()) {
    std::fprintf(stderr, "open: %s\n", df.status().ToString().c_str());
    return 1;
  }
  const double mib = static_cast<double>(df->big->logical_size()) / (1 << 20);
  PlainRead(fs, *df);  // warm the page cache
  std::vector<double> read_t, scan_t;
  uint64_t records = 0;
  for (int r = 0; r < runs; r++) {
    read_t.push_back(PlainRead(fs, *df));
    ScanResult sr = Scan(*df);
    scan_t.push_back(sr.seconds);
    records = sr.records;
  }
  const double rt = Median(read_t), stt = Median(scan_t);
  std::printf("%-8s %10.1f %12llu %10.0f %14.0f %10.0f %10.2f %10ld\n", rdb.name.data(), mib,
              static_cast<unsigned long long>(records), mib * 1.048576 / rt,
              static_cast<double>(records) / stt, mib * 1.048576 / stt, rt / stt, PeakRssKiB());
  std::fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--measure")
    return Measure(argv[2], argv[3], std::atoi(argv[4]));
  std::string dir = "/tmp/shardtool-scan-bench";
  uint64_t posdb_docs = 150000, titledb_docs = 100000;
  int runs = 5;
  bool keep = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--dir")
      dir = next();
    else if (a == "--posdb-docs")
      posdb_docs = std::stoull(next());
    else if (a == "--titledb-docs")
      titledb_docs = std::stoull(next());
    else if (a == "--runs")
      runs = std::stoi(next());
    else if (a == "--keep")
      keep = true;
    else {
      std::fprintf(
          stderr,
          "usage: scan_bench [--dir D] [--posdb-docs N] [--titledb-docs N] [--runs R] [--keep]\n");
      return 2;
    }
  }
  FileSystem* fs = PosixFS();
  std::filesystem::remove_all(dir);
  struct Item {
    const char* rdb;
    uint64_t docs;
  };
  std::printf("scan benchmark: median of %d runs, page-cached, one core\n", runs);
  std::printf("%-8s %10s %12s %10s %14s %10s %10s %10s\n", "rdb", "MiB", "records", "read MB/s",
              "scan rec/s", "scan MB/s", "scan/read", "RSS KiB");
  std::fflush(stdout);
  for (Item item : {Item{"posdb", posdb_docs}, Item{"titledb", titledb_docs}}) {
    gen::GenOptions o;
    o.out = dir + "/" + item.rdb;
    o.shards = 1;
    o.mirrors = 0;
    o.docs = item.docs;
    o.files = 1;
    o.negatives = 0;
    o.rdbs = {item.rdb};
    o.page_variety = 512;
    o.sidecars = false;
    gen::GenReport rep;
    Status st = gen::GenerateCluster(fs, o, &rep);
    if (!st.ok()) {
      std::fprintf(stderr, "generate: %s\n", st.ToString().c_str());
      return 1;
    }
    const std::string cmd = std::filesystem::read_symlink("/proc/self/exe").string() +
                            " --measure " + o.out + "/host0/coll.main.0 " + item.rdb + " " +
                            std::to_string(runs);
    if (std::system(cmd.c_str()) != 0) return 1;
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
