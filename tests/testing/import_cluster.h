// An import test cluster (tests of import and ingest): four hosts of a 2-shard, 2-mirror cluster
// in an in-memory file system (made once per set of local hosts and copied), a foreign source
// directory, and an exact comparison of what each host holds with what it must hold (each
// positive good source record of its shard once, the newest version of a key).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog_admin.h"
#include "catalog/discovery.h"
#include "format/file_name.h"
#include "io/mem_file_system.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/import/import_job.h"
#include "testing/merge_cluster.h"
#include "testing/record_lists.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {

inline const RdbInfo& ImportTitledb() { return GetRdb(RdbId::kTitledb); }

// Titledb records with distinct keys spread over slots; data passes T1 (ubufSize 100).
inline std::vector<TestRecord> TitleRecords(size_t n, uint64_t seed, double negative_fraction) {
  RandomListOptions o;
  o.negative_fraction = negative_fraction;
  o.num_hi = 4000;
  std::vector<TestRecord> recs = RandomRecords(ImportTitledb(), n, seed, o);
  for (TestRecord& r : recs) {
    if (r.negative()) continue;
    std::string d(4, '\0');
    d[0] = 100;
    d += std::string(8 + (seed + r.key.data()[3]) % 40, static_cast<char>('a' + seed % 26));
    r.data = d;
  }
  return recs;
}

struct ImportCluster {
  MemFileSystem mem;
  FileSystem* fs = &mem;
  std::vector<int> local_hosts = {0, 1, 2, 3};
  std::string source = "/foreign/coll.main.0";
  // Source records by file id, in file order.
  std::map<int32_t, std::vector<TestRecord>> source_files;
  testing::NoGigablast no_gb;
  CatalogCache cache;  // per test: the process-wide one would carry other tests' catalogs

  void MakeHost(int h) {
    const std::string wd = "/cluster/host" + std::to_string(h);
    mem.WriteAll(wd + "/hosts.conf", FormatHostsConf(FixtureHostsConf("/cluster")));
    ASSERT_OK(WriteDataFile(&mem, wd + "/coll.main.0", ImportTitledb(), 1, {}));
    AdminOptions admin;
    admin.uuids = CountingUuidGenerator(10 + static_cast<uint64_t>(h) * 1000);
    InitArgs init;
    init.host_id = h;
    auto r = RunInit(&mem, wd, init, admin);
    ASSERT_OK(r);
  }
  // Hosts are made once per set of hosts in a template file system and copied (init of a
  // 2-shard catalog is the slow part of these tests).
  void Setup() {
    static std::map<std::vector<int>, std::unique_ptr<MemFileSystem>> templates;
    auto& t = templates[local_hosts];
    if (!t) {
      t = std::make_unique<MemFileSystem>();
      ImportCluster maker;
      maker.local_hosts = local_hosts;
      for (int h : local_hosts) maker.MakeHost(h);
      CopyTree(maker.mem, *t, "/cluster");
    }
    CopyTree(*t, mem, "/cluster");
  }
  // Writes and commits an import bundle of shard 1 (host1's catalog version) named `name` in
  // /stage: `records` titledb records of shard 1, each with `payload` as its data. Its path in
  // *path (nothing on failure).
  void WriteShard1Bundle(const std::string& name, int64_t records, const std::string& payload,
                         std::string* path) {
    BundleHeader h;
    h.kind = "import";
    h.target_shard = 1;
    h.database = "main";
    auto snap = cache.Get(&mem, "/cluster/host1");
    ASSERT_OK(snap);
    h.catalog_version = (*snap)->catalog().version;
    BundleWriter w(&mem, "/stage", name, ImportTitledb(), h);
    ASSERT_OK(w.Open());
    for (uint64_t d = 1000; w.records() < records; d += 7) {
      const Key k = MakeTitledbKey(d, 7, true);
      if (KeySlot(ImportTitledb(), k.data()) % 2 != 1) continue;
      ASSERT_OK(w.Add(0, k.data(), reinterpret_cast<const uint8_t*>(payload.data()),
                      static_cast<uint32_t>(payload.size())));
    }
    ASSERT_OK(w.Commit());
    *path = w.final_path();
  }
  static void CopyTree(MemFileSystem& from, MemFileSystem& to, const std::string& dir) {
    auto entries = from.ListDir(dir);
    ASSERT_OK(entries);
    for (const DirEntry& e : *entries) {
      const std::string p = dir + "/" + e.name;
      if (e.is_dir) {
        ASSERT_OK(to.CreateDirs(p));
        CopyTree(from, to, p);
      } else {
        to.WriteAll(p, from.ReadAll(p));
      }
    }
    ASSERT_OK(to.SyncDir(dir));
  }
  void AddSource(int32_t id, std::vector<TestRecord> recs) {
    ASSERT_OK(WriteDataFile(&mem, source, ImportTitledb(), id, recs));
    source_files[id] = std::move(recs);
  }
  ImportRequest Request() const {
    ImportRequest r;
    r.workdir = "/cluster/host0";
    r.database = "main";
    r.source_dir = source;
    r.memory = 16384;        // batches of 8 KiB, spilled
    r.commit_every = 16384;  // many commits
    return r;
  }
  ImportEnv Env() {
    ImportEnv e;
    e.gigablast = &no_gb;
    e.catalogs = &cache;
    e.heartbeat_thread = false;
    e.read_buffer = 4096;
    e.check_every = 128;
    return e;
  }
  Result<ImportReport> Import(ImportRequest r) { return RunImport(fs, r, Env()); }
  Result<ImportReport> Import() { return Import(Request()); }

  // The imported records on host h (every titledb file but the initial empty one), by key hex,
  // with how many times each occurs.
  std::map<std::string, int> HostRecords(int h) {
    std::map<std::string, int> out;
    const std::string dir = "/cluster/host" + std::to_string(h) + "/coll.main.0";
    auto files = ListDataFiles(&mem, dir, ImportTitledb());
    EXPECT_OK(files);
    for (const CommittedFile& f : *files) {
      const std::string bytes = mem.ReadAll(JoinPath(dir, f.name));
      DecodeStatus st;
      for (const DecodedRecord& r : DecodeAll(ImportTitledb(), bytes, &st)) {
        out[r.key.ToHex() + ":" + r.data]++;
      }
      EXPECT_EQ(st, DecodeStatus::kOk) << f.name;
    }
    return out;
  }
  // What host h must hold: each positive good source record of its shard once (newest version
  // of a key).
  // The records of the staged bundles under `dir`, by target shard ("key:data" -> count), and how
  // many bundles there were.
  std::map<int, std::map<std::string, int>> Staged(const std::string& dir, int* bundles = nullptr) {
    std::map<int, std::map<std::string, int>> staged;
    auto listing = mem.ListDir(dir);
    EXPECT_OK(listing);
    if (!listing.ok()) return staged;
    for (const DirEntry& e : *listing) {
      if (e.name.rfind("main.titledb.s", 0) != 0) continue;
      if (bundles != nullptr) ++*bundles;
      auto b = ReadBundle(&mem, dir + "/" + e.name);
      EXPECT_OK(b);
      if (!b.ok()) continue;
      for (const auto& stream : b->streams) {
        for (const BundleRecord& rec : stream) {
          staged[b->manifest.header.target_shard]
                [KeyHex(reinterpret_cast<const uint8_t*>(rec.key.data()), 12) + ":" + rec.data]++;
        }
      }
    }
    return staged;
  }
  std::map<std::string, int> Expected(int h, int num_shards = 2) {
    std::map<std::string, std::string> by_key;
    for (const auto& [id, recs] : source_files) {
      for (const TestRecord& r : recs) {
        if (r.negative()) continue;
        if (r.data.size() < 4 || r.data[0] == 0) continue;  // fails T1: quarantined
        const int slot = KeySlot(ImportTitledb(), r.key.data());
        if (slot % num_shards != h % num_shards) continue;
        by_key[r.key.ToHex()] = r.data;
      }
    }
    std::map<std::string, int> out;
    for (const auto& [k, d] : by_key) out[k + ":" + d] = 1;
    return out;
  }
  void ExpectExact() {
    for (int h : local_hosts) {
      EXPECT_EQ(HostRecords(h), Expected(h)) << "host " << h;
    }
  }
};

}  // namespace shardtool::testing
