// Verify benchmark (issue "verify", doc/architecture.md §8). In one run, on page-cached data it
// writes itself with the sample generator, each figure the median of --runs runs in a fresh
// process:
//   posdb     verify records/s on one thread (target >= 50 M/s)
//   titledb   verify without inflation vs plain 1 MiB reads (target >= 0.4 x)
//   inflate   verify with titlerec inflation vs a bare zlib inflate loop over the same payloads
//             (target >= 0.8 x)
//   threads   --threads 2 vs 1 over 4 posdb files (target >= 1.6 x)
//   digest    --digest vs without (--threads 2; the same 4 posdb files, then one titledb file):
//             what the same-pass digest costs (no target; RSS < 64 MiB)
//   rocksdb   verify vs RocksDB reading the same records from SST files with checksums verified,
//             what `sst_dump --command=check` does (target >= 2.5 x; needs librocksdb-dev)
//   quick     --quick over a generated sparse directory of --quick-gb GB (target < 5 s)
// and the peak RSS of each measuring process (target < 64 MiB).
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <random>

#include "base/coding.h"
#include "bench/bench_util.h"
#include "format/file_name.h"
#include "format/page_map.h"
#include "iter/data_file.h"
#include "iter/record_scanner.h"
#include "jobs/verify/verify_job.h"
#ifdef SHARDTOOL_HAVE_ROCKSDB
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>
#endif

using namespace shardtool;
using namespace shardtool::bench;

namespace {

int runs = 5;

std::vector<VerifyCollection> Collections(const std::string& dir, const RdbInfo& rdb) {
  VerifyCollection c;
  c.ns = "main." + std::string(rdb.name);
  c.rdb = &rdb;
  c.dir = dir;
  auto entries = PosixFS()->ListDir(dir);
  for (const DirEntry& e : *entries) {
    auto n = ParseDataFileName(e.name);
    if (n && n->part == 0 && n->db == rdb.name) c.data_files.push_back(e.name);
  }
  SlotOwners owners;
  owners.self = 0;
  c.owners = owners;
  return {c};
}

struct VerifyRun {
  double seconds;
  int64_t records;
  uint64_t bytes;
};

VerifyRun Verify(const std::string& dir, const RdbInfo& rdb, int threads, bool inflate,
                 bool digest = false) {
  VerifyOptions o;
  o.threads = threads;
  o.inflate = inflate;
  o.digest = digest;
  const double t0 = Now();
  auto r = RunVerify(PosixFS(), Collections(dir, rdb), o);
  const double t = Now() - t0;
  if (!r.ok() || r->summary.errors != 0) {
    std::fprintf(
        stderr, "verify failed: %s\n",
        r.ok() ? r->files[0].findings[0].ToString().c_str() : r.status().ToString().c_str());
    std::exit(1);
  }
  return {t, r->summary.records, r->summary.bytes};
}

double PlainRead(const std::string& dir) {
  std::vector<char> buf(1 << 20);
  uint64_t sink = 0;
  const double t0 = Now();
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().string().find(".dat") == std::string::npos) continue;
    int fd = open(e.path().c_str(), O_RDONLY);
    ssize_t n;
    off_t off = 0;
    while ((n = pread(fd, buf.data(), buf.size(), off)) > 0) {
      sink += static_cast<uint8_t>(buf[static_cast<size_t>(n) / 2]);
      off += n;
    }
    close(fd);
  }
  if (sink == 7) std::puts("");
  return Now() - t0;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().string().find(".dat") != std::string::npos) n += e.file_size();
  }
  return n;
}

// rss_kib: the peak resident memory to print; the process's own peak when negative.
void Row(const char* name, double value, const char* unit, double ratio, const char* vs,
         double target, long rss_kib = -1) {
  std::printf("%-9s %14.0f %-10s %7.2f x %-22s (target %s %.2f)  RSS %ld KiB\n", name, value, unit,
              ratio, vs, name[0] == 'q' ? "<" : ">=", target, rss_kib < 0 ? PeakRssKiB() : rss_kib);
  std::fflush(stdout);
}

int MeasurePosdb(const std::string& dir) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  Verify(dir, rdb, 1, true);  // warm
  std::vector<double> t;
  int64_t records = 0;
  for (int i = 0; i < runs; i++) {
    VerifyRun v = Verify(dir, rdb, 1, true);
    t.push_back(v.seconds);
    records = v.records;
  }
  Row("posdb", static_cast<double>(records) / Median(t), "records/s",
      static_cast<double>(records) / Median(t) / 50e6, "the 50 M/s target", 1.0);
  return 0;
}

// A bare inflate loop over every titlerec payload of the directory's titledb files.
double BareInflate(const std::string& dir) {
  std::vector<std::string> payloads;
  auto entries = PosixFS()->ListDir(dir);
  for (const DirEntry& e : *entries) {
    auto n = ParseDataFileName(e.name);
    if (!n || n->part != 0) continue;
    auto df = OpenDataFile(PosixFS(), dir, e.name, nullptr, {}, nullptr);
    RecordScanner s(df->big.get(), *df->rdb, {});
    for (s.SeekToStart(); s.Valid(); s.Next()) {
      if (!s.record().negative)
        payloads.emplace_back(reinterpret_cast<const char*>(s.record().data), s.record().data_size);
    }
  }
  std::vector<double> t;
  std::vector<uint8_t> out(1 << 20);
  for (int r = 0; r < runs; r++) {
    z_stream zs{};
    inflateInit2(&zs, 47);
    const double t0 = Now();
    for (const std::string& p : payloads) {
      inflateReset(&zs);
      const uint32_t ubuf = LoadLE32(reinterpret_cast<const uint8_t*>(p.data()));
      if (out.size() < ubuf) out.resize(ubuf);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p.data() + 4));
      zs.avail_in = static_cast<uInt>(p.size() - 4);
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      if (inflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
    }
    t.push_back(Now() - t0);
    inflateEnd(&zs);
  }
  return Median(t);
}

int MeasureTitledb(const std::string& dir) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  PlainRead(dir);
  std::vector<double> rt, vt, it;
  uint64_t bytes = DirBytes(dir);
  for (int i = 0; i < runs; i++) {
    rt.push_back(PlainRead(dir));
    vt.push_back(Verify(dir, rdb, 1, false).seconds);
    it.push_back(Verify(dir, rdb, 1, true).seconds);
  }
  const double mb = static_cast<double>(bytes) / 1e6;
  Row("titledb", mb / Median(vt), "MB/s", Median(rt) / Median(vt), "plain 1 MiB reads", 0.4);
  // The RSS of verify with inflation: the bare loop below holds every payload in memory, so the
  // process's peak after it is the loop's, not verify's.
  const long verify_rss = PeakRssKiB();
  const double bare = BareInflate(dir);
  Row("inflate", mb / Median(it), "MB/s", bare / Median(it), "bare zlib inflate loop", 0.8,
      verify_rss);
  return 0;
}

// Two verify configurations (threads, --digest) run alternately --runs times on the same files
// (after a warm-up of the second): their median seconds.
struct Config {
  int threads;
  bool digest;
};
struct Medians {
  double a = 0, b = 0;
  int64_t records = 0;
};
Medians Alternate(const std::string& dir, const RdbInfo& rdb, Config a, Config b) {
  Verify(dir, rdb, b.threads, true, b.digest);
  std::vector<double> ta, tb;
  Medians m;
  for (int i = 0; i < runs; i++) {
    VerifyRun x = Verify(dir, rdb, a.threads, true, a.digest);
    ta.push_back(x.seconds);
    m.records = x.records;
    tb.push_back(Verify(dir, rdb, b.threads, true, b.digest).seconds);
  }
  m.a = Median(ta);
  m.b = Median(tb);
  return m;
}

int MeasureThreads(const std::string& dir) {
  const Medians m = Alternate(dir, GetRdb(RdbId::kPosdb), {1, false}, {2, false});
  Row("threads", static_cast<double>(m.records) / m.b, "records/s", m.a / m.b, "--threads 1", 1.6);
  return 0;
}

// verify --digest vs verify, --threads 2.
int MeasureDigest(const std::string& dir, const std::string& rdb_name) {
  const RdbInfo& rdb = *FindRdb(rdb_name);
  const Medians m = Alternate(dir, rdb, {2, false}, {2, true});
  std::printf(
      "digest    %14.0f records/s  %7.2f x %-22s %s, %zu files, plain %.3f s, --digest %.3f s"
      "  RSS %ld KiB\n",
      static_cast<double>(m.records) / m.b, m.a / m.b, "verify without --digest", rdb_name.c_str(),
      Collections(dir, rdb)[0].data_files.size(), m.a, m.b, PeakRssKiB());
  std::fflush(stdout);
  return 0;
}

#ifdef SHARDTOOL_HAVE_ROCKSDB
// Writes every record of the directory's files (key bytes, data as value) to one SST file,
// uncompressed, in RocksDB's bytewise order (the big-endian form of our keys sorts the same).
std::string WriteSst(const std::string& dir, const RdbInfo& rdb, const std::string& sst) {
  rocksdb::Options options;
  options.compression = rocksdb::kNoCompression;
  rocksdb::SstFileWriter w(rocksdb::EnvOptions(), options);
  if (!w.Open(sst).ok()) std::abort();
  auto entries = PosixFS()->ListDir(dir);
  std::string key(static_cast<size_t>(rdb.key_size), '\0');
  for (const DirEntry& e : *entries) {
    auto n = ParseDataFileName(e.name);
    if (!n || n->part != 0) continue;
    auto df = OpenDataFile(PosixFS(), dir, e.name, nullptr, {}, nullptr);
    RecordScanner s(df->big.get(), rdb, {});
    for (s.SeekToStart(); s.Valid(); s.Next()) {
      for (int i = 0; i < rdb.key_size; i++)
        key[static_cast<size_t>(i)] = static_cast<char>(s.record().key[rdb.key_size - 1 - i]);
      rocksdb::Slice v(reinterpret_cast<const char*>(s.record().data), s.record().data_size);
      if (!w.Put(key, v).ok()) std::abort();
    }
  }
  if (!w.Finish().ok()) std::abort();
  return sst;
}

double RocksCheck(const std::string& sst, int64_t* records) {
  rocksdb::Options options;
  rocksdb::SstFileReader r(options);
  if (!r.Open(sst).ok()) std::abort();
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  const double t0 = Now();
  std::unique_ptr<rocksdb::Iterator> it(r.NewIterator(ro));
  int64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  if (!it->status().ok()) std::abort();
  *records = n;
  return Now() - t0;
}

int MeasureRocks(const std::string& dir, const std::string& rdb_name) {
  const RdbInfo& rdb = *FindRdb(rdb_name);
  const std::string sst = dir + "/../" + rdb_name + ".sst";
  WriteSst(dir, rdb, sst);
  int64_t n = 0;
  RocksCheck(sst, &n);
  std::vector<double> rt, vt;
  int64_t records = 0;
  for (int i = 0; i < runs; i++) {
    rt.push_back(RocksCheck(sst, &n));
    VerifyRun v = Verify(dir, rdb, 1, false);
    vt.push_back(v.seconds);
    records = v.records;
  }
  if (n != records)
    std::fprintf(stderr, "warning: rocksdb saw %lld records, verify %lld\n", (long long)n,
                 (long long)records);
  const std::string label = "rocks-" + rdb_name.substr(0, 3);
  Row(label.c_str(), static_cast<double>(records) / Median(vt), "records/s",
      Median(rt) / Median(vt), "RocksDB SST check", 2.5);
  // The real tool too, when Debian's rocksdb-tools is installed: `sst_dump --command=check` in a
  // child process (its start-up is included; it is milliseconds against seconds of checking).
  if (std::system("command -v sst_dump >/dev/null 2>&1") == 0) {
    std::vector<double> dt;
    const std::string cmd = "sst_dump --file=" + sst + " --command=check >/dev/null 2>&1";
    for (int i = 0; i < runs; i++) {
      const double t0 = Now();
      if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "sst_dump --command=check failed on %s\n", sst.c_str());
        return 1;
      }
      dt.push_back(Now() - t0);
    }
    const std::string dl = "sst_dump-" + rdb_name.substr(0, 3);
    Row(dl.c_str(), static_cast<double>(records) / Median(vt), "records/s", Median(dt) / Median(vt),
        "sst_dump --command=check", 2.5);
  } else {
    std::printf("sst_dump   skipped: not on PATH (Debian's rocksdb-tools)\n");
  }
  std::filesystem::remove(sst);
  return 0;
}
#endif

// A sparse directory of `gb` GB: files of 2 GB (two parts each) whose maps are synthetic but
// consistent with the data's size; --quick reads only names, sizes and maps.
void MakeSparse(const std::string& dir, int gb) {
  std::filesystem::create_directories(dir);
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  const uint64_t file_size = 2ULL << 30;
  for (int f = 0; f < gb / 2; f++) {
    const int id = 2 * f + 1;
    const std::string name = DataName(rdb.name, id, false);
    const uint64_t p0 = 2013265920ULL;
    if (truncate((dir + "/" + name).c_str(), 0) != 0) {
      int fd = open((dir + "/" + name).c_str(), O_CREAT | O_WRONLY, 0644);
      close(fd);
    }
    if (truncate((dir + "/" + name).c_str(), static_cast<off_t>(p0)) != 0) std::abort();
    int fd = open((dir + "/" + name + ".part1").c_str(), O_CREAT | O_WRONLY, 0644);
    close(fd);
    if (truncate((dir + "/" + name + ".part1").c_str(), static_cast<off_t>(file_size - p0)) != 0)
      std::abort();
    PageMap m(18, rdb.page_size);
    uint8_t key[18] = {};
    const uint64_t pages = file_size / rdb.page_size;
    for (uint64_t p = 0; p < pages; p++) {
      StoreLE64(key + 8, (static_cast<uint64_t>(f) << 40) + p * 1000);
      key[0] = 1;
      m.AddRecord(p * rdb.page_size, rdb.page_size, key, false);
    }
    const std::string bytes = m.Serialize();
    FILE* out = std::fopen((dir + "/" + MapName(rdb.name, id)).c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), out);
    std::fclose(out);
  }
}

int MeasureQuick(const std::string& dir) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  VerifyOptions o;
  o.quick = true;
  o.threads = 2;
  std::vector<double> t;
  uint64_t bytes = 0;
  for (int i = 0; i < runs; i++) {
    const double t0 = Now();
    auto r = RunVerify(PosixFS(), Collections(dir, rdb), o);
    t.push_back(Now() - t0);
    if (!r.ok()) {
      std::fprintf(stderr, "quick: %s\n", r.status().ToString().c_str());
      return 1;
    }
    bytes = r->summary.bytes;
  }
  std::printf("quick     %14.2f seconds    over %.1f GB in %zu files (target < 5 s)  RSS %ld KiB\n",
              Median(t), static_cast<double>(bytes) / 1e9,
              Collections(dir, rdb)[0].data_files.size(), PeakRssKiB());
  return 0;
}

// Verify alone, --runs times without inflation, for a profiler (`perf record`).
int VerifyLoop(const std::string& dir, const std::string& rdb_name) {
  const RdbInfo* rdb = FindRdb(rdb_name);
  if (rdb == nullptr) return 2;
  std::vector<double> t;
  uint64_t bytes = 0;
  for (int i = 0; i < runs; i++) {
    VerifyRun v = Verify(dir, *rdb, 1, false);
    t.push_back(v.seconds);
    bytes = v.bytes;
  }
  std::printf("loop      %14.0f MB/s       verify of %s, median of %d\n",
              static_cast<double>(bytes) / 1e6 / Median(t), rdb_name.c_str(), runs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/shardtool-verify-bench";
  uint64_t posdb_docs = 150000, titledb_docs = 100000;
  int quick_gb = 100;
  bool keep = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); i++) {
    auto next = [&]() { return i + 1 < args.size() ? args[++i] : std::string(); };
    if (args[i] == "--runs")
      runs = std::stoi(next());
    else if (args[i] == "--measure") {
      const std::string what = next(), d = next();
      if (what == "posdb") return MeasurePosdb(d);
      if (what == "titledb") return MeasureTitledb(d);
      if (what == "threads") return MeasureThreads(d);
      if (what == "digest") return MeasureDigest(d, next());
      if (what == "quick") return MeasureQuick(d);
      if (what == "loop") return VerifyLoop(d, next());
#ifdef SHARDTOOL_HAVE_ROCKSDB
      if (what == "rocks") return MeasureRocks(d, next());
#endif
      return 2;
    } else if (args[i] == "--dir")
      dir = next();
    else if (args[i] == "--posdb-docs")
      posdb_docs = std::stoull(next());
    else if (args[i] == "--titledb-docs")
      titledb_docs = std::stoull(next());
    else if (args[i] == "--quick-gb")
      quick_gb = std::stoi(next());
    else if (args[i] == "--keep")
      keep = true;
    else {
      std::fprintf(stderr,
                   "usage: verify_bench [--runs R] [--posdb-docs N] [--titledb-docs N] [--quick-gb "
                   "G] [--dir D] [--keep]\n");
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  const std::string r = " --runs " + std::to_string(runs);
  std::printf("verify benchmark: median of %d runs, page-cached, sidecars on\n", runs);
  const std::string p1 = Generate(dir + "/posdb1", "posdb", posdb_docs, 1);
  if (!RunSelf("--measure posdb " + p1 + r)) return 1;
  const std::string p4 = Generate(dir + "/posdb4", "posdb", posdb_docs, 4);
  if (!RunSelf("--measure threads " + p4 + r)) return 1;
  if (!RunSelf("--measure digest " + p4 + " posdb" + r)) return 1;
  const std::string t = Generate(dir + "/titledb", "titledb", titledb_docs, 1);
  if (!RunSelf("--measure titledb " + t + r)) return 1;
  if (!RunSelf("--measure digest " + t + " titledb" + r)) return 1;
#ifdef SHARDTOOL_HAVE_ROCKSDB
  if (!RunSelf("--measure rocks " + p1 + " posdb" + r)) return 1;
  if (!RunSelf("--measure rocks " + t + " titledb" + r)) return 1;
#else
  std::printf("rocksdb   skipped: librocksdb-dev was not found when this benchmark was built\n");
#endif
  std::filesystem::remove_all(dir + "/posdb4");
  if (quick_gb > 0) {
    MakeSparse(dir + "/sparse/coll.main.0", quick_gb);
    if (!RunSelf("--measure quick " + dir + "/sparse/coll.main.0" + r)) return 1;
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
