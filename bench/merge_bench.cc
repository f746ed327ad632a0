// Merge benchmark (issue "merge", doc/architecture.md §8). In one run, on the same records (4
// overlapping files written by the sample generator, page-cached), each figure the median of --runs
// runs, each measurement in a fresh process (so its peak RSS is its own):
//   ours      `merge --all` through the library (RunMerge): journal, canonical encoding, map,
//             sidecar, fsyncs, incorporate (inputs are hard links, so every run starts equal)
//   bare      a bare k-way merge of the same files: 1 MiB preads, the inlined decoder, a binary
//             heap, newest version wins, canonical re-encoding (the inlined encoder) into 1 MiB
//             writes, one fsync; its output is checked byte-equal to ours (target: ours >= 0.8 x)
//   rocksdb   the same keys and values as 4 overlapping SST files ingested into L0, compression
//             off, then CompactRange into one level, timed (target: ours >= 3 x; needs
//             librocksdb-dev, skipped with a message otherwise)
// for posdb (small records; target >= 20 M records/s) and titledb (large records), and, for the
// memory and linearity targets, ours alone on posdb at two sizes (4 x apart): peak RSS of that
// process (target < 128 MiB at both sizes) and ns per record at each size (linear: ratio ~1).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <queue>

#include "bench/bench_util.h"
#include "catalog/catalog_admin.h"
#include "format/file_name.h"
#include "format/record_decoder_inl.h"
#include "format/record_encoder_inl.h"
#include "iter/data_file.h"
#include "iter/merging_iterator.h"
#include "iter/record_scanner.h"
#include "jobs/merge/merge_job.h"
#ifdef SHARDTOOL_HAVE_ROCKSDB
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#endif

using namespace shardtool;
using namespace shardtool::bench;

namespace {

int runs = 3;

std::vector<std::string> DataFiles(const std::string& dir, const RdbInfo& rdb) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto n = ParseDataFileName(e.path().filename().string());
    if (n && n->part == 0 && n->db == rdb.name) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());  // file ids have a fixed width: oldest first
  return out;
}

uint64_t InputBytes(const std::string& dir, const RdbInfo& rdb) {
  uint64_t n = 0;
  for (const std::string& f : DataFiles(dir, rdb)) n += std::filesystem::file_size(dir + "/" + f);
  return n;
}

void Row(const std::string& name, double value, const char* unit, double ratio, const char* vs,
         const char* target) {
  std::printf("%-12s %10.1f %-8s %6.2f x %-27s (target %s)  RSS %ld KiB\n", name.c_str(), value,
              unit, ratio, vs, target, PeakRssKiB());
  std::fflush(stdout);
}

bool SameBytes(const std::string& a, const std::string& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  std::vector<char> x(size_t{1} << 20), y(size_t{1} << 20);
  while (fa && fb) {
    fa.read(x.data(), static_cast<std::streamsize>(x.size()));
    fb.read(y.data(), static_cast<std::streamsize>(y.size()));
    if (fa.gcount() != fb.gcount() ||
        std::memcmp(x.data(), y.data(), static_cast<size_t>(fa.gcount())) != 0) {
      return false;
    }
  }
  return !fa && !fb;
}

// ---- ours ------------------------------------------------------------------------------------

struct OursRun {
  double seconds;
  int64_t records_in, records_out;
  uint64_t bytes_in, bytes_out;
};

// A working dir `run` whose collection dir holds hard links to the generated files.
void PrepareRun(const std::string& gen_out, const std::string& run) {
  std::filesystem::remove_all(run);
  std::filesystem::create_directories(run + "/coll.main.0");
  const std::string src = gen_out + "/host0/coll.main.0";
  for (const auto& e : std::filesystem::directory_iterator(src)) {
    std::filesystem::create_hard_link(e.path(),
                                      run + "/coll.main.0/" + e.path().filename().string());
  }
  std::filesystem::copy_file(gen_out + "/hosts.conf", run + "/hosts.conf");
  InitArgs init;
  init.host_id = 0;
  auto r = RunInit(PosixFS(), run, init, {});
  if (!r.ok()) {
    std::fprintf(stderr, "init: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
}

// Merges every file of the Rdb; `keep_output`: the path of the merged data file, kept (else the
// run dir is removed).
OursRun Ours(const std::string& gen_out, const std::string& rdb, std::string* keep_output) {
  const std::string run = gen_out + "/run";
  PrepareRun(gen_out, run);
  MergeRequest req;
  req.workdir = run;
  req.database = "main";
  req.rdb = rdb;
  req.selection = MergeSelection::kAll;
  req.force = true;
  const double t0 = Now();
  auto r = RunMerge(PosixFS(), req, {});
  const double t = Now() - t0;
  if (!r.ok() || !r->outcome.ok()) {
    std::fprintf(stderr, "merge: %s\n", (r.ok() ? r->outcome : r.status()).ToString().c_str());
    std::exit(1);
  }
  if (keep_output != nullptr) {
    *keep_output = run + "/" + r->output;
  } else {
    std::filesystem::remove_all(run);
  }
  return {t, r->counters.records_in, r->counters.records_out, r->counters.bytes_in, r->bytes_out};
}

// ---- bare k-way merge --------------------------------------------------------------------------

template <KeyCompression C, int D>
struct BareInput {
  int fd = -1;
  std::vector<uint8_t> buf = std::vector<uint8_t>(size_t{1} << 20);
  size_t pos = 0, len = 0;
  uint64_t file_off = 0;
  RecordDecoder dec;
  Record rec;
  bool valid = false;
  explicit BareInput(const RdbInfo& rdb) : dec(rdb) {}
  void Next() {
    pos += valid ? rec.size : 0;
    while (true) {
      if (pos < len && dec.template DecodeAs<C, D>(buf.data() + pos, buf.data() + len, &rec) ==
                           DecodeStatus::kOk) {
        valid = true;
        return;
      }
      // Keep the partial record (and the decoder's last full key, which it holds itself).
      std::memmove(buf.data(), buf.data() + pos, len - pos);
      len -= pos;
      pos = 0;
      if (len == buf.size()) buf.resize(buf.size() * 2);
      const ssize_t n = pread(fd, buf.data() + len, buf.size() - len, static_cast<off_t>(file_off));
      if (n <= 0) {
        valid = false;
        return;
      }
      file_off += static_cast<uint64_t>(n);
      len += static_cast<size_t>(n);
    }
  }
};

// The merge semantics of `merge --all` without negatives to keep: the newest version of a key
// (cmpNegEq) wins, negatives are dropped.
template <int KS, KeyCompression C, int D>
uint64_t BareMerge(const std::string& dir, const RdbInfo& rdb, const std::string& out_path,
                   int64_t* records) {
  std::vector<std::unique_ptr<BareInput<C, D>>> in;
  for (const std::string& f : DataFiles(dir, rdb)) {
    in.push_back(std::make_unique<BareInput<C, D>>(rdb));
    in.back()->fd = open((dir + "/" + f).c_str(), O_RDONLY);
    if (in.back()->fd < 0) std::abort();
    in.back()->Next();
  }
  // Smallest key first; for the same key the newest input (the larger index) first.
  auto after = [&](size_t a, size_t b) {
    const int c = CompareKeysNegEqT<KS>(in[a]->rec.key, in[b]->rec.key);
    return c != 0 ? c > 0 : a < b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(after)> heap(after);
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i]->valid) heap.push(i);
  }
  const int out = open(out_path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (out < 0) std::abort();
  RecordEncoder enc(rdb);
  std::vector<uint8_t> obuf(size_t{1} << 20);
  size_t olen = 0;
  uint64_t written = 0;
  int64_t n = 0;
  uint8_t last[kMaxKeySize];
  bool have_last = false;
  while (!heap.empty()) {
    const size_t i = heap.top();
    heap.pop();
    const Record& r = in[i]->rec;
    const bool dup = have_last && CompareKeysNegEqT<KS>(r.key, last) == 0;
    if (!dup) {
      CopyKeyT<KS>(last, r.key);
      have_last = true;
    }
    if (!dup && !r.negative) {
      const size_t max = enc.MaxEncodedSize(r.data_size);
      if (olen + max > obuf.size()) {
        if (write(out, obuf.data(), olen) != static_cast<ssize_t>(olen)) std::abort();
        written += olen;
        olen = 0;
        if (obuf.size() < max) obuf.resize(max);
      }
      olen += enc.template EncodeAs<KS, C, D>(r.key, r.data, r.data_size, obuf.data() + olen);
      n++;
    }
    in[i]->Next();
    if (in[i]->valid) heap.push(i);
  }
  if (write(out, obuf.data(), olen) != static_cast<ssize_t>(olen)) std::abort();
  written += olen;
  if (fsync(out) != 0) std::abort();
  close(out);
  for (auto& i : in) close(i->fd);
  *records = n;
  return written;
}

double Bare(const std::string& dir, const RdbInfo& rdb, const std::string& out, int64_t* records) {
  const double t0 = Now();
  VisitRdbLayout(rdb, [&](auto ks, auto, auto comp, auto form) {
    return BareMerge<decltype(ks)::value, decltype(comp)::value, decltype(form)::value>(
        dir, rdb, out, records);
  });
  return Now() - t0;
}

int MeasureMerge(const std::string& gen_out, const std::string& rdb_name) {
  const RdbInfo& rdb = *FindRdb(rdb_name);
  const std::string dir = gen_out + "/host0/coll.main.0";
  const std::string bare_out = gen_out + "/bare.out";
  int64_t bare_records = 0;
  // Warm the page cache, and check that both write the same bytes.
  Bare(dir, rdb, bare_out, &bare_records);
  std::string ours_out;
  const OursRun first = Ours(gen_out, rdb_name, &ours_out);
  if (first.records_out != bare_records || !SameBytes(ours_out, bare_out)) {
    std::fprintf(stderr, "the bare merge's output differs from ours (%s vs %s)\n", bare_out.c_str(),
                 ours_out.c_str());
    return 1;
  }
  std::filesystem::remove_all(gen_out + "/run");
  std::vector<double> ot, bt;
  OursRun o{};
  for (int i = 0; i < runs; i++) {
    o = Ours(gen_out, rdb_name, nullptr);
    ot.push_back(o.seconds);
    bt.push_back(Bare(dir, rdb, bare_out, &bare_records));
    std::filesystem::remove(bare_out);
  }
  const double mb = static_cast<double>(InputBytes(dir, rdb)) / 1e6;
  const double ours = Median(ot), bare = Median(bt);
  const std::string p = rdb_name.substr(0, 5);
  std::printf(
      "%-12s %lld records, %.1f MB in 4 files -> %lld records, %.1f MB (same bytes as "
      "the bare merge); ours %.3f s, bare %.3f s\n",
      rdb_name.c_str(), static_cast<long long>(o.records_in), mb,
      static_cast<long long>(o.records_out), static_cast<double>(o.bytes_out) / 1e6, ours, bare);
  Row(p + "-records", static_cast<double>(o.records_in) / ours / 1e6, "M rec/s",
      static_cast<double>(o.records_in) / ours / 20e6, "the 20 M records/s target",
      rdb_name == "posdb" ? ">= 1.00" : "none: large records");
  Row(p + "-bare", mb / ours, "MB/s", bare / ours, "bare k-way merge + fsync", ">= 0.80");
  return 0;
}

// Ours alone: its peak RSS and cost per record at this size.
int MeasureMemory(const std::string& gen_out, const std::string& rdb_name) {
  Ours(gen_out, rdb_name, nullptr);  // warm
  std::vector<double> t;
  OursRun o{};
  for (int i = 0; i < runs; i++) {
    o = Ours(gen_out, rdb_name, nullptr);
    t.push_back(o.seconds);
  }
  std::printf(
      "%-12s %10.1f ns/rec   %lld records, %.1f MB in, %.3f s   (target RSS < 128 MiB) "
      " RSS %ld KiB\n",
      (rdb_name.substr(0, 5) + "-size").c_str(),
      Median(t) * 1e9 / static_cast<double>(o.records_in), static_cast<long long>(o.records_in),
      static_cast<double>(o.bytes_in) / 1e6, Median(t), PeakRssKiB());
  return 0;
}

// ---- RocksDB
// -------------------------------------------------------------------------------------

#ifdef SHARDTOOL_HAVE_ROCKSDB
// One SST per data file: every record's key (big-endian, so that RocksDB's bytewise order is the
// key order) and data, uncompressed.
std::vector<std::string> WriteSsts(const std::string& dir, const RdbInfo& rdb,
                                   const std::string& out) {
  std::vector<std::string> ssts;
  rocksdb::Options options;
  options.compression = rocksdb::kNoCompression;
  std::string key(static_cast<size_t>(rdb.key_size), '\0');
  for (const std::string& f : DataFiles(dir, rdb)) {
    const std::string sst = out + "/" + f + ".sst";
    rocksdb::SstFileWriter w(rocksdb::EnvOptions(), options);
    if (!w.Open(sst).ok()) std::abort();
    auto df = OpenDataFile(PosixFS(), dir, f, nullptr, {}, nullptr);
    RecordScanner s(df->big.get(), rdb, {});
    for (s.SeekToStart(); s.Valid(); s.Next()) {
      for (int i = 0; i < rdb.key_size; i++) {
        key[static_cast<size_t>(i)] = static_cast<char>(s.record().key[rdb.key_size - 1 - i]);
      }
      rocksdb::Slice v(reinterpret_cast<const char*>(s.record().data), s.record().data_size);
      if (!w.Put(key, v).ok()) std::abort();
    }
    if (!w.Finish().ok()) std::abort();
    ssts.push_back(sst);
  }
  return ssts;
}

double RocksCompact(const std::vector<std::string>& ssts, const std::string& db_path) {
  std::filesystem::remove_all(db_path);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kNoCompression;
  options.bottommost_compression = rocksdb::kNoCompression;
  options.disable_auto_compactions = true;
  options.level0_file_num_compaction_trigger = 100;
  options.level0_slowdown_writes_trigger = 100;
  options.level0_stop_writes_trigger = 100;
  options.target_file_size_base = uint64_t{1} << 40;  // one output file
  options.max_background_jobs = 1;
  options.use_fsync = true;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(options, db_path, &db).ok()) std::abort();
  // Ingest each file on its own: they overlap, so each lands in L0.
  for (const std::string& sst : ssts) {
    rocksdb::IngestExternalFileOptions io;
    io.move_files = false;
    if (!db->IngestExternalFile({sst}, io).ok()) std::abort();
  }
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  co.exclusive_manual_compaction = true;
  const double t0 = Now();
  if (!db->CompactRange(co, nullptr, nullptr).ok()) std::abort();
  const double t = Now() - t0;
  delete db;
  std::filesystem::remove_all(db_path);
  return t;
}

int MeasureRocks(const std::string& gen_out, const std::string& rdb_name) {
  const RdbInfo& rdb = *FindRdb(rdb_name);
  const std::string dir = gen_out + "/host0/coll.main.0";
  const std::string sstdir = gen_out + "/sst";
  std::filesystem::create_directories(sstdir);
  auto ssts = WriteSsts(dir, rdb, sstdir);
  std::vector<double> rt, ot;
  OursRun o{};
  for (int i = 0; i < runs; i++) {
    rt.push_back(RocksCompact(ssts, gen_out + "/rocksdb"));
    o = Ours(gen_out, rdb_name, nullptr);
    ot.push_back(o.seconds);
  }
  std::filesystem::remove_all(sstdir);
  const std::string p = rdb_name.substr(0, 5);
  Row(p + "-rocksdb", static_cast<double>(o.records_in) / Median(ot) / 1e6, "M rec/s",
      Median(rt) / Median(ot), "RocksDB CompactRange", ">= 3.00");
  std::printf("%-12s RocksDB compaction: %.3f s, %.2f M records/s; ours %.3f s\n", "", Median(rt),
              static_cast<double>(o.records_in) / Median(rt) / 1e6, Median(ot));
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/shardtool-merge-bench";
  uint64_t posdb_docs = 100000, titledb_docs = 40000;
  bool keep = false, rocks = true;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); i++) {
    auto next = [&]() { return i + 1 < args.size() ? args[++i] : std::string(); };
    if (args[i] == "--runs") {
      runs = std::stoi(next());
    } else if (args[i] == "--measure") {
      const std::string what = next(), d = next(), rdb = next();
      if (what == "merge") return MeasureMerge(d, rdb);
      if (what == "memory") return MeasureMemory(d, rdb);
#ifdef SHARDTOOL_HAVE_ROCKSDB
      if (what == "rocks") return MeasureRocks(d, rdb);
#endif
      return 2;
    } else if (args[i] == "--dir") {
      dir = next();
    } else if (args[i] == "--posdb-docs") {
      posdb_docs = std::stoull(next());
    } else if (args[i] == "--titledb-docs") {
      titledb_docs = std::stoull(next());
    } else if (args[i] == "--no-rocksdb") {
      rocks = false;
    } else if (args[i] == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr,
                   "usage: merge_bench [--runs R] [--posdb-docs N] [--titledb-docs N] [--dir D] "
                   "[--no-rocksdb] [--keep]\n");
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  const std::string r = " --runs " + std::to_string(runs);
  std::printf(
      "merge benchmark: 4 overlapping files into one, median of %d runs, page-cached "
      "inputs, fsync'd outputs\n",
      runs);
  struct Job {
    const char* rdb;
    uint64_t docs;
  };
  for (const Job& j : {Job{"posdb", posdb_docs}, Job{"titledb", titledb_docs}}) {
    const std::string out = dir + "/" + j.rdb;
    Generate(out, j.rdb, j.docs, 4);
    if (!RunSelf("--measure merge " + out + " " + j.rdb + r)) return 1;
#ifdef SHARDTOOL_HAVE_ROCKSDB
    if (rocks && !RunSelf("--measure rocks " + out + " " + j.rdb + r)) return 1;
#else
    std::printf(
        "rocksdb      skipped: %s\n",
        rocks ? "librocksdb-dev was not found when this benchmark was built" : "--no-rocksdb");
#endif
    if (std::string(j.rdb) == "posdb") {
      // Memory and linearity: this size and a quarter of it, ours alone.
      if (!RunSelf("--measure memory " + out + " posdb" + r)) return 1;
      const std::string small = dir + "/posdb-small";
      Generate(small, "posdb", std::max<uint64_t>(j.docs / 4, 1), 4);
      if (!RunSelf("--measure memory " + small + " posdb" + r)) return 1;
      std::filesystem::remove_all(small);
    }
    if (!keep) std::filesystem::remove_all(out);
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
