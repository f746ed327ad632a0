// The import job's internals (import_job.h): class Importer, shared by import_job.cc (setup,
// targets, placement checks, the read loop) and import_commit.cc (the commit of a batch to local
// targets, stage bundles and the quarantine, and the bookmark). Not for use outside the job.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "acquire/acquisition.h"
#include "jobs/import_batch.h"
#include "jobs/import_job.h"
#include "jobs/import_ledger.h"

namespace shardtool::import_detail {

struct LocalTarget {
  int32_t host_id = 0, shard = 0;
  std::string workdir, db_dir, name;
  uint64_t part_size = 2013265920ULL;
  std::unique_ptr<AcquisitionContext> ctx;
  CollectionAcquisition acq;
  std::unique_ptr<ImportLedger> ledger;
  size_t report_index = 0;
};

class Importer {
 public:
  Importer(FileSystem* fs, const ImportRequest& req, const ImportEnv& env)
      : fs_(fs), req_(req), env_(env) {}
  ~Importer() { JoinCommit().IgnoreError(); }

  Result<ImportReport> Run();

 private:
  Status Setup();
  Status OpenTargets();
  Status ReadAndCommit();
  Status CommitBatch();
  // Hands the batch read so far to the committer (after the previous commit is done); wait:
  // commit it before returning. Returns the previous (or, with wait, this) commit's error.
  Status Flush(bool wait);
  Status JoinCommit();
  uint64_t BatchLimit() const { return req_.dry_run ? req_.memory : req_.memory / 2; }
  Status CheckPlacement();
  Status CommitLocal(LocalTarget& t, const std::vector<uint32_t>& sorted);
  Status CommitLocals(const std::map<int32_t, std::vector<uint32_t>>& sorted);
  Status CommitStage(int32_t shard, const std::vector<uint32_t>& sorted);
  Status CommitQuarantine();
  Status WriteBookmark();
  bool StopRequested();

  FileSystem* fs_;
  const ImportRequest& req_;
  const ImportEnv& env_;
  const RdbInfo* rdb_ = nullptr;
  ImportReport report_;
  Catalog catalog_;
  const CollectionEntry* coll_ = nullptr;
  std::vector<int32_t> owner_;
  std::vector<Chunk> routing_chunks_;
  std::string srcid_, bookmark_path_, legacy_path_;
  SourceScan scan_;
  SourcePos pos_;
  std::vector<std::unique_ptr<LocalTarget>> locals_;
  std::vector<int32_t> stage_shards_;
  std::unique_ptr<ImportLedger> own_ledger_;  // stage bundles and quarantine
  std::unique_ptr<FileLock> import_lock_;
  std::unique_ptr<GigablastDetector> own_detector_;
  Batch batch_;  // being read
  Batch spare_;  // being committed (by committer_), then reused
  Batch* cb_ = &spare_;
  std::thread committer_;
  Status commit_status_;
  int64_t start_us_ = 0;
  int64_t records_total_ = 0, negatives_total_ = 0;
  uint64_t total_bytes_ = 0, done_bytes_ = 0;
};

}  // namespace shardtool::import_detail
