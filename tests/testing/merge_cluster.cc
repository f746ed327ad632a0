#include "testing/merge_cluster.h"

#include "catalog/catalog_admin.h"
#include "catalog/catalog_store.h"
#include "catalog/uuid.h"
#include "format/file_name.h"
#include "iter/data_file.h"
#include "iter/record_scanner.h"
#include "jobs/verify/file_verifier.h"
#include "testing/shard_fixture.h"

namespace shardtool::testing {

MergeCluster::MergeCluster() : fs_(&mem_), locks_(&mem_) {
  env.locks = &locks_;
  env.gigablast = &gb_;
  env.buffer_size = 8192;
  env.checkpoint_bytes = 16384;
  env.check_every = 64;
}

Status MergeCluster::WriteInput(const RdbInfo& rdb, int32_t id, const std::vector<TestRecord>& recs,
                                uint64_t part_size) {
  RETURN_IF_ERROR(mem_.CreateDirs(dir));
  DataFileWriter::Options o;
  o.part_size = part_size;
  const std::string name = DataName(rdb.name, id, rdb.titledb_naming);
  DataFileWriter w(&mem_, dir, name, MapName(rdb.name, id), CrcName(rdb.name, id), rdb, o);
  RETURN_IF_ERROR(w.Open());
  for (const TestRecord& r : recs) {
    RETURN_IF_ERROR(w.Add(r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                          static_cast<uint32_t>(r.data.size())));
  }
  RETURN_IF_ERROR(w.Finish());
  written[name] = recs;
  return Status::Ok();
}

Status MergeCluster::Init() {
  mem_.WriteAll(workdir + "/hosts.conf", FormatHostsConf(FixtureHostsConf("/cluster")));
  AdminOptions admin;
  admin.uuids = CountingUuidGenerator(7);
  InitArgs init;
  init.host_id = 0;
  return RunInit(&mem_, workdir, init, admin).status();
}

Status MergeCluster::SetPartSize(const std::string& ns, uint64_t part_size) {
  CatalogStore store(&mem_, workdir);
  return store
      .Update(
          [&](const CatalogStore::Current& cur) -> Result<OpResult> {
            OpResult r;
            r.catalog = *cur.catalog;
            r.catalog.FindCollection(ns)->part_size = part_size;
            r.catalog.version++;
            r.changed = true;
            return r;
          },
          0)
      .status();
}

Status MergeCluster::MoveSlots(int32_t first, int32_t last, int32_t to_shard, int64_t delay) {
  MoveSlotsRequest req;
  req.first = first;
  req.last = last;
  req.to_shard = to_shard;
  req.orphan_delay = delay;
  AdminOptions admin;
  admin.uuids = CountingUuidGenerator(99);
  return RunMoveSlots(&mem_, workdir, req, admin).status();
}

Result<Catalog> MergeCluster::LoadCatalog() {
  CatalogStore store(&mem_, workdir);
  ASSIGN_OR_RETURN(LoadedCatalog c, store.Load());
  return std::move(c.catalog);
}

MergeRequest MergeCluster::Request(const std::string& rdb, MergeSelection sel,
                                   std::vector<int32_t> ids) const {
  MergeRequest r;
  r.workdir = workdir;
  r.database = "main";
  r.rdb = rdb;
  r.selection = sel;
  r.file_ids = std::move(ids);
  return r;
}

Result<MergeReport> MergeCluster::Merge(const MergeRequest& req) { return RunMerge(fs_, req, env); }

Result<std::vector<TestRecord>> MergeCluster::ReadFile(const RdbInfo& rdb,
                                                       const std::string& data_name,
                                                       uint64_t part_size) {
  OpenDataFileOptions o;
  o.default_part_size = part_size;
  o.rdb = &rdb;
  ASSIGN_OR_RETURN(DataFile df, OpenDataFile(&mem_, dir, data_name, nullptr, o, nullptr));
  RecordScanner s(df.big.get(), rdb, {});
  std::vector<TestRecord> out;
  for (s.SeekToStart(); s.Valid(); s.Next()) {
    const Record& r = s.record();
    out.push_back({Key::FromBytes(r.key, rdb.key_size),
                   std::string(reinterpret_cast<const char*>(r.data), r.data ? r.data_size : 0)});
  }
  RETURN_IF_ERROR(s.status());
  return out;
}

Result<int64_t> MergeCluster::VerifyErrors(const RdbInfo& rdb, const std::string& data_name,
                                           uint64_t part_size) {
  OpenDataFileOptions o;
  o.default_part_size = part_size;
  o.rdb = &rdb;
  FileVerifyOptions fo;
  ASSIGN_OR_RETURN(FileVerifyReport r, VerifyFile(&mem_, dir, data_name, nullptr, o, fo));
  // Random test payloads are not titlerecs: T1/T2 say so, which is not the merge's business.
  int64_t errors = r.errors;
  for (const char* rule : {"T1", "T2"}) {
    auto it = r.rule_counts.find(rule);
    if (it != r.rule_counts.end()) errors -= it->second;
  }
  return errors;
}

std::vector<std::string> MergeCluster::Listing() {
  std::vector<std::string> out;
  auto entries = mem_.ListDir(dir);
  if (!entries.ok()) return out;
  for (const DirEntry& e : *entries) out.push_back(e.name);
  return out;
}

std::vector<std::vector<TestRecord>> MergeCluster::Inputs(const RdbInfo& rdb,
                                                          std::vector<int32_t> ids) {
  std::vector<std::vector<TestRecord>> out;
  for (int32_t id : ids) out.push_back(written[DataName(rdb.name, id, rdb.titledb_naming)]);
  return out;
}

std::vector<TestRecord> ReferenceMergeSorted(const RdbInfo& rdb,
                                             const std::vector<std::vector<TestRecord>>& inputs,
                                             const ReferenceOptions& opt,
                                             std::vector<TestRecord>* dropped) {
  const int ks = rdb.key_size;
  std::vector<size_t> pos(inputs.size(), 0);
  std::vector<TestRecord> out;
  while (true) {
    // The smallest key among the heads; on a tie the newest input.
    int best = -1;
    for (size_t i = 0; i < inputs.size(); i++) {
      if (pos[i] >= inputs[i].size()) continue;
      if (best < 0) {
        best = static_cast<int>(i);
        continue;
      }
      const int c = CompareKeysNegEq(inputs[i][pos[i]].key.data(),
                                     inputs[static_cast<size_t>(best)][pos[best]].key.data(), ks);
      if (c <= 0) best = static_cast<int>(i);
    }
    if (best < 0) break;
    const TestRecord r = inputs[static_cast<size_t>(best)][pos[static_cast<size_t>(best)]];
    // Skip every version of this key in every input.
    for (size_t i = 0; i < inputs.size(); i++) {
      while (pos[i] < inputs[i].size() &&
             CompareKeysNegEq(inputs[i][pos[i]].key.data(), r.key.data(), ks) == 0) {
        pos[i]++;
      }
    }
    if (opt.drop && opt.drop(r.key)) {
      if (dropped) dropped->push_back(r);
      continue;
    }
    if (r.key.negative() && opt.drop_negatives) continue;
    out.push_back(r);
  }
  return out;
}

std::vector<TestRecord> ClusterdbRecords(size_t n, uint64_t seed, double negative_fraction) {
  RandomListOptions ro;
  ro.num_hi = static_cast<int>(std::max<size_t>(n / 3, 4));
  ro.negative_fraction = negative_fraction;
  return RandomRecords(GetRdb(RdbId::kClusterdb), n, seed, ro);
}

}  // namespace shardtool::testing
