#include "gen/sample_cluster.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <unordered_map>

#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "format/key_fields.h"
#include "format/rdb_registry.h"
#include "format/titlerec.h"
#include "gen/page_text.h"
#include "io/atomic_file.h"

namespace shardtool::gen {
namespace {

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t a, uint64_t b, uint64_t c = 0) { return Mix(Mix(Mix(a) ^ b) ^ c); }
double Unit(uint64_t h) { return static_cast<double>(h >> 11) / 9007199254740992.0; }

struct Doc {
  uint64_t docid;
  uint64_t uh48;
  int file;      // file index holding its positive records
  int del_file;  // file index holding its tombstones, -1 if never deleted
};

constexpr uint64_t kVocab = 60000;

// The posdb positions (and so indexdb terms) of a document: deterministic from seed and docid.
struct Term {
  uint64_t termid;
  uint32_t wordpos;
  bool by_termid;
};

void DocTerms(const GenOptions& opt, uint64_t docid, std::vector<Term>* out) {
  out->clear();
  uint64_t h = Hash(opt.seed, docid, 11);
  const int avg = std::max(1, opt.words_per_doc);
  const int words = avg / 2 + static_cast<int>(h % static_cast<uint64_t>(avg));
  uint32_t pos = 0;
  for (int w = 0; w < words; w++) {
    h = Mix(h);
    const double u = Unit(h);
    const uint64_t v = static_cast<uint64_t>(u * u * u * kVocab);  // Zipf-like: few common terms
    const uint64_t vh = Hash(opt.seed ^ 0x5eed, v);
    pos += 1 + static_cast<uint32_t>(h % 3);
    if (pos >= (1u << 18)) break;
    out->push_back(Term{vh & 0xffffffffffffULL, pos, (vh >> 50) % 97 == 0});
  }
}

template <int KS>
using KeyArr = std::array<uint8_t, KS>;

template <int KS>
void SortKeys(std::vector<KeyArr<KS>>* keys) {
  std::sort(keys->begin(), keys->end(), [](const KeyArr<KS>& a, const KeyArr<KS>& b) {
    return CompareKeys(a.data(), b.data(), KS) < 0;
  });
  keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
}

// Per host writers of one data file, and the routing of each record to its owners.
class FileFanout {
 public:
  FileFanout(FileSystem* fs, const GenOptions& opt, const HostsConf& hosts, const RdbInfo& rdb,
             int id, GenReport* report)
      : fs_(fs), opt_(opt), hosts_(hosts), rdb_(rdb), report_(report) {
    DataFileWriter::Options wo;
    wo.part_size = opt.part_size;
    wo.write_sidecar = opt.sidecars;
    for (const HostEntry& h : hosts.hosts) {
      const std::string dir =
          JoinPath(h.workdir, "coll." + opt.db + "." + std::to_string(opt.collnum));
      writers_.push_back(
          std::make_unique<DataFileWriter>(fs, dir, DataName(rdb.name, id, rdb.titledb_naming),
                                           MapName(rdb.name, id), CrcName(rdb.name, id), rdb, wo));
      GenFileStats st;
      st.host = h.id;
      st.file = JoinPath("coll." + opt.db + "." + std::to_string(opt.collnum),
                         DataName(rdb.name, id, rdb.titledb_naming));
      st.rdb = std::string(rdb.name);
      st.misplaced_by_shard.assign(static_cast<size_t>(hosts.num_shards), 0);
      stats_.push_back(st);
    }
  }

  Status Open() {
    for (const HostEntry& h : hosts_.hosts) {
      RETURN_IF_ERROR(fs_->CreateDirs(
          JoinPath(h.workdir, "coll." + opt_.db + "." + std::to_string(opt_.collnum))));
    }
    for (auto& w : writers_) RETURN_IF_ERROR(w->Open());
    return Status::Ok();
  }

  Status Add(const uint8_t* key, const uint8_t* data, uint32_t size) {
    const int slot = KeySlot(rdb_, key);
    const int owner = slot < 0 ? -1 : slot % hosts_.num_shards;
    for (size_t i = 0; i < hosts_.hosts.size(); i++) {
      const HostEntry& h = hosts_.hosts[i];
      bool put = owner < 0 || h.shard == owner;
      if (!put && h.id == opt_.misplace_host && opt_.misplace_rate > 0 &&
          Unit(Hash(opt_.seed, LoadLE64(key) ^ LoadLE32(key + rdb_.key_size - 4), 77)) <
              opt_.misplace_rate) {
        put = true;
        stats_[i].misplaced_by_shard[static_cast<size_t>(owner)]++;
      }
      if (!put) continue;
      RETURN_IF_ERROR(writers_[i]->Add(key, data, size));
      stats_[i].records++;
      if (KeyIsNegative(key)) stats_[i].negatives++;
    }
    return Status::Ok();
  }

  Status Finish() {
    for (size_t i = 0; i < writers_.size(); i++) {
      RETURN_IF_ERROR(writers_[i]->Finish());
      stats_[i].bytes = writers_[i]->bytes_written();
      report_->bytes += stats_[i].bytes;
      report_->files.push_back(stats_[i]);
    }
    return Status::Ok();
  }

 private:
  FileSystem* fs_;
  const GenOptions& opt_;
  const HostsConf& hosts_;
  const RdbInfo& rdb_;
  GenReport* report_;
  std::vector<std::unique_ptr<DataFileWriter>> writers_;
  std::vector<GenFileStats> stats_;
};

class Generator {
 public:
  Generator(FileSystem* fs, const GenOptions& opt, GenReport* report)
      : fs_(fs), opt_(opt), report_(report) {}

  Status Run() {
    RETURN_IF_ERROR(SetUpHosts());
    MakeDocs();
    for (const std::string& name : opt_.rdbs) {
      const RdbInfo* rdb = FindRdb(name);
      if (rdb == nullptr) return UsageErrorStatus("unknown Rdb '" + name + "'");
      for (int f = 0; f < opt_.files; f++) {
        FileFanout out(fs_, opt_, report_->hosts, *rdb, 2 * f + 1, report_);
        RETURN_IF_ERROR(out.Open());
        switch (rdb->id) {
          case RdbId::kTitledb:
          case RdbId::kClusterdb:
            RETURN_IF_ERROR(WritePerDoc(*rdb, f, &out));
            break;
          case RdbId::kPosdb:
            RETURN_IF_ERROR(WriteTerms<18>(*rdb, f, &out));
            break;
          case RdbId::kIndexdb:
            RETURN_IF_ERROR(WriteTerms<12>(*rdb, f, &out));
            break;
          default:
            return UsageErrorStatus("shardtool-gen does not generate " + name);
        }
        RETURN_IF_ERROR(out.Finish());
      }
    }
    return Status::Ok();
  }

 private:
  Status SetUpHosts() {
    HostsConf& hc = report_->hosts;
    if (!opt_.hosts_file.empty()) {
      ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs_, opt_.hosts_file, 1 << 20));
      ASSIGN_OR_RETURN(hc, ParseHostsConf(text, opt_.hosts_file));
      return Status::Ok();
    }
    if (opt_.shards < 1 || opt_.mirrors < 0)
      return UsageErrorStatus("need --shards >= 1 and --mirrors >= 0");
    hc.num_shards = opt_.shards;
    hc.num_mirrors = opt_.mirrors;
    const int n = opt_.shards * (opt_.mirrors + 1);
    for (int i = 0; i < n; i++) {
      HostEntry h;
      h.id = i;
      h.shard = i % opt_.shards;
      h.dns_port = 5998;
      h.https_port = 7000 + i;
      h.http_port = 8000 + i;
      h.udp_port = 9000 + i;
      h.ip1 = h.ip2 = "127.0.0.1";
      h.workdir = JoinPath(opt_.out, "host" + std::to_string(i));
      hc.hosts.push_back(h);
    }
    RETURN_IF_ERROR(fs_->CreateDirs(opt_.out));
    for (const HostEntry& h : hc.hosts) RETURN_IF_ERROR(fs_->CreateDirs(h.workdir));
    RETURN_IF_ERROR(
        WriteFileAtomically(fs_, JoinPath(opt_.out, "hosts.conf"), FormatHostsConf(hc)));
    return Status::Ok();
  }

  void MakeDocs() {
    docs_.reserve(opt_.docs);
    for (uint64_t i = 0; i < opt_.docs; i++) {
      Doc d;
      d.docid = Hash(opt_.seed, i, 1) & kDocIdMask;
      d.uh48 = Hash(opt_.seed, i, 2) & 0xffffffffffffULL;
      d.file = static_cast<int>(Hash(opt_.seed, i, 3) % static_cast<uint64_t>(opt_.files));
      d.del_file = -1;
      if (d.file + 1 < opt_.files && Unit(Hash(opt_.seed, i, 4)) < opt_.negatives) {
        d.del_file = d.file + 1 +
                     static_cast<int>(Hash(opt_.seed, i, 5) %
                                      static_cast<uint64_t>(opt_.files - d.file - 1));
      }
      docs_.push_back(d);
    }
    std::sort(docs_.begin(), docs_.end(),
              [](const Doc& a, const Doc& b) { return a.docid < b.docid; });
    docs_.erase(std::unique(docs_.begin(), docs_.end(),
                            [](const Doc& a, const Doc& b) { return a.docid == b.docid; }),
                docs_.end());
  }

  const std::string& PageData(const Doc& d) {
    const uint64_t variant =
        opt_.page_variety > 0 ? d.docid % static_cast<uint64_t>(opt_.page_variety) : d.docid;
    if (opt_.page_variety > 0) {
      auto it = page_cache_.find(variant);
      if (it != page_cache_.end()) return it->second;
    }
    std::string page = MakePageText(opt_.seed, variant, opt_.page_bytes);
    std::string data = MakeTitlerecData(page);
    if (opt_.page_variety > 0) return page_cache_[variant] = std::move(data);
    scratch_ = std::move(data);
    return scratch_;
  }

  // titledb and clusterdb: one record per document, in docId order.
  Status WritePerDoc(const RdbInfo& rdb, int f, FileFanout* out) {
    struct Item {
      Key key;
      const Doc* doc;
    };
    std::vector<Item> items;
    for (const Doc& d : docs_) {
      const bool pos = d.file == f, neg = d.del_file == f;
      if (!pos && !neg) continue;
      Key k;
      if (rdb.id == RdbId::kTitledb) {
        k = MakeTitledbKey(d.docid, d.uh48, pos);
      } else {
        const uint64_t h = Hash(opt_.seed, d.docid, 21);
        k = MakeClusterdbKey(d.docid, h & 1, 1 + (h >> 1) % 3,
                             static_cast<uint32_t>(h >> 8) & 0x3ffffff, pos);
      }
      items.push_back({k, &d});
    }
    std::sort(items.begin(), items.end(),
              [](const Item& a, const Item& b) { return a.key < b.key; });
    for (const Item& it : items) {
      if (it.key.negative() || rdb.fixed_data_size == 0) {
        RETURN_IF_ERROR(out->Add(it.key.data(), nullptr, 0));
      } else {
        const std::string& data = PageData(*it.doc);
        RETURN_IF_ERROR(out->Add(it.key.data(), reinterpret_cast<const uint8_t*>(data.data()),
                                 static_cast<uint32_t>(data.size())));
      }
    }
    return Status::Ok();
  }

  // posdb (KS 18) and indexdb (KS 12): keys ordered by termId, generated in termId slices so the
  // keys held in memory stay within opt_.memory.
  template <int KS>
  Status WriteTerms(const RdbInfo& rdb, int f, FileFanout* out) {
    uint64_t docs_in_file = 0;
    for (const Doc& d : docs_) docs_in_file += (d.file == f) + (d.del_file == f);
    const double est = static_cast<double>(docs_in_file) * (1.5 * opt_.words_per_doc) * KS * 2.5;
    const uint64_t slices = std::max<uint64_t>(
        1, static_cast<uint64_t>(std::ceil(est / static_cast<double>(opt_.memory))));
    std::vector<KeyArr<KS>> keys;
    std::vector<Term> terms;
    for (uint64_t s = 0; s < slices; s++) {
      const uint64_t lo = (s << 48) / slices, hi = ((s + 1) << 48) / slices;
      keys.clear();
      for (const Doc& d : docs_) {
        const bool pos = d.file == f, neg = d.del_file == f;
        if (!pos && !neg) continue;
        DocTerms(opt_, d.docid, &terms);
        for (const Term& t : terms) {
          if (t.termid < lo || t.termid >= hi) continue;
          Key k = MakeKey<KS>(d, t, pos);
          KeyArr<KS> a;
          std::copy(k.data(), k.data() + KS, a.begin());
          keys.push_back(a);
        }
      }
      SortKeys<KS>(&keys);
      for (const auto& k : keys) RETURN_IF_ERROR(out->Add(k.data(), nullptr, 0));
    }
    (void)rdb;
    return Status::Ok();
  }

  template <int KS>
  Key MakeKey(const Doc& d, const Term& t, bool positive) {
    const uint64_t h = Hash(opt_.seed, d.docid ^ t.termid, t.wordpos);
    if constexpr (KS == 18) {
      PosdbFields p;
      p.termid = t.termid;
      p.docid = d.docid;
      p.siterank = static_cast<uint32_t>(Hash(opt_.seed, d.docid, 31) % 16);
      p.langid = 1;
      p.wordpos = t.wordpos;
      p.hashgroup = static_cast<uint32_t>(h % 11);
      p.spamrank = 15;
      p.diversityrank = static_cast<uint32_t>((h >> 8) % 16);
      p.synonym = 0;
      p.densityrank = static_cast<uint32_t>((h >> 16) % 32);
      p.sharded_by_termid = t.by_termid;
      p.positive = positive;
      return MakePosdbKey(p);
    } else {
      return MakeIndexdbKey(t.termid, static_cast<uint8_t>(h), d.docid, positive);
    }
  }

  FileSystem* fs_;
  const GenOptions& opt_;
  GenReport* report_;
  std::vector<Doc> docs_;
  std::unordered_map<uint64_t, std::string> page_cache_;
  std::string scratch_;
};

}  // namespace

Status GenerateCluster(FileSystem* fs, const GenOptions& opt, GenReport* report) {
  Generator g(fs, opt, report);
  return g.Run();
}

}  // namespace shardtool::gen
