// A host working dir on an in-memory file system for merge tests: hosts.conf of fixture F (4
// hosts, 1 mirror: 2 shards; this is host 0, shard 0, which owns the even slots), data files
// written from record lists, `init`, and helpers to change the catalog (part size, move-slots),
// run merges, and read results back with the format layer only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "format/data_file_writer.h"
#include "io/lock_manager.h"
#include "io/mem_file_system.h"
#include "jobs/merge/merge_job.h"
#include "testing/merge_reference.h"
#include "testing/record_lists.h"

namespace shardtool::testing {

class NoGigablast : public GigablastDetector {
 public:
  Result<std::optional<std::string>> Find(const std::string&) override {
    return std::optional<std::string>();
  }
};

class MergeCluster {
 public:
  MergeCluster();
  MemFileSystem& mem() { return mem_; }
  FileSystem* fs() { return fs_; }
  // Routes every call through another file system (a FaultFileSystem over mem()).
  void UseFileSystem(FileSystem* fs) { fs_ = fs; }

  std::string workdir = "/cluster/host0";
  std::string dir = "/cluster/host0/coll.main.0";
  MergeEnv env;  // locks, no Gigablast, small checkpoints

  // Writes <rdb><id> (data, map, sidecar) with DataFileWriter and remembers its records.
  Status WriteInput(const RdbInfo& rdb, int32_t id, const std::vector<TestRecord>& recs,
                    uint64_t part_size = kGbPartSize);
  // hosts.conf and `init --host-id 0`.
  Status Init();
  Status SetPartSize(const std::string& ns, uint64_t part_size);
  // `catalog move-slots --slots first-last --to-shard to --orphan-delay delay`.
  Status MoveSlots(int32_t first, int32_t last, int32_t to_shard, int64_t delay);
  Result<Catalog> LoadCatalog();

  MergeRequest Request(const std::string& rdb, MergeSelection sel,
                       std::vector<int32_t> ids = {}) const;
  Result<MergeReport> Merge(const MergeRequest& req);

  // The records of a data file in the collection dir, decoded with the format layer.
  Result<std::vector<TestRecord>> ReadFile(const RdbInfo& rdb, const std::string& data_name,
                                           uint64_t part_size = kGbPartSize);
  // Error findings of `verify` on one data file (map, sidecar, structure; no ownership; titlerec
  // payload rules T1/T2 are left out since test payloads are random bytes).
  Result<int64_t> VerifyErrors(const RdbInfo& rdb, const std::string& data_name,
                               uint64_t part_size = kGbPartSize);
  // Names of every file in the collection dir.
  std::vector<std::string> Listing();
  // The written records of the inputs with these ids, oldest first.
  std::vector<std::vector<TestRecord>> Inputs(const RdbInfo& rdb, std::vector<int32_t> ids);

  std::map<std::string, std::vector<TestRecord>> written;  // by data name

 private:
  MemFileSystem mem_;
  FileSystem* fs_;
  LockManager locks_;
  NoGigablast gb_;
};

// doc/format.md §8 for sorted inputs in linear time (a plain k-way min scan, independent of the
// loser tree), for inputs too large for ReferenceMerge. Same semantics as ReferenceMerge.
std::vector<TestRecord> ReferenceMergeSorted(const RdbInfo& rdb,
                                             const std::vector<std::vector<TestRecord>>& inputs,
                                             const ReferenceOptions& opt = {},
                                             std::vector<TestRecord>* dropped = nullptr);

// Clusterdb records with full 12-byte keys mostly (many distinct top bytes), spread over slots.
std::vector<TestRecord> ClusterdbRecords(size_t n, uint64_t seed, double negative_fraction = 0.2);

}  // namespace shardtool::testing
