// The import job's internals (import_job.h): class Importer, shared by import_job.cc (setup,
// targets, placement checks, the read loop), import_runs.cc (spilling a full buffer as sorted runs,
// their directories and their merges) and import_commit.cc (the commit of a batch to local
// targets, stage bundles and the quarantine, and the bookmark). Not for use outside the job.
//
// Threads: the reader (ReadAndCommit) fills batch_; the committer thread (one at a time) spills or
// commits spare_ (cb_) and alone touches runs_, the ledgers and the report's commit counters; a
// commit writes its local targets with up to --max-inflight threads, each target (or, for a
// shard with runs, each shard's hosts together) in one thread with its own merge.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "acquire/acquisition.h"
#include "jobs/import/import_batch.h"
#include "jobs/import/import_job.h"
#include "jobs/import/import_ledger.h"

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
  // bookmark_path_ and legacy_path_ ("" unless titledb) for req_.rdb.
  Status ChooseBookmarks();
  // FailedPrecondition when the source is the collection dir db_dir of a target host.
  Status CheckSourceIsNotTarget(const std::string& db_dir, int32_t host_id);
  // The path of an exact bookmark of this database for another source, or "" (the first found).
  std::string OtherSourceBookmark();
  Status OpenTargets();
  Status ReadAndCommit();
  Status CommitBatch();
  // Hands the batch read so far to the committer (after the previous one is done): commit: as the
  // last batch of the commit, else to be spilled as runs; wait: before returning. Returns the
  // previous (or, with wait, this) batch's error.
  Status Flush(bool commit, bool wait);
  Status JoinCommit();
  uint64_t BatchLimit() const { return req_.dry_run ? req_.memory : req_.memory / 2; }
  // Whether the batch read so far should be spilled before it is full: the last batch of a commit
  // is not spilled (the commit merges it with the runs from memory), so when the rest of the
  // commit fits in one batch but not beside what this one holds, spilling now makes that last
  // batch as large as possible and the spilled bytes as few. REQUIRES: batch_.recs non-empty.
  bool SpillEarly() const;
  Status CheckPlacement();
  // A shard's records of the commit in key order, newest source record of a key: the runs merged
  // with the batch's sorted records (the newest).
  struct ShardStream {
    std::unique_ptr<SortedSource> source;
    SpillMerger* merger = nullptr;
    int64_t superseded() const { return merger ? merger->superseded() : 0; }
  };
  Result<ShardStream> OpenShardStream(int32_t shard, const std::vector<uint32_t>& sorted,
                                      ZstdBlockCodec* codec);
  // REQUIRES: ts non-empty, all of one shard.
  Status CommitLocal(const std::vector<LocalTarget*>& ts, const std::vector<uint32_t>& sorted,
                     int64_t* superseded);
  Status CommitLocals(const std::map<int32_t, std::vector<uint32_t>>& sorted,
                      std::map<int32_t, int64_t>* superseded);
  Status CommitStage(int32_t shard, const std::vector<uint32_t>& sorted, int64_t* superseded);
  // import_runs.cc: the run directories (planned in OpenTargets, made on first use), spilling a
  // batch, merging runs so that a shard has fewer than the merge width, dropping a commit's runs.
  void PlanRunDirs();
  Status RemoveRunLeftovers();
  // The import lock of this source and database ("another import ... is running" when held).
  Status TakeImportLock();
  Result<std::string> RunDir(int32_t shard);
  Status SpillBatch();
  Status NarrowRuns();
  void DropRuns();
  void RemoveRunDirs();
  Status CommitQuarantine();
  // import_space.cc: NoSpace (exit 7) before anything is written when a file system the import
  // writes to cannot hold what it will add.
  Status CheckFreeSpace();
  // After a failed run: what it wrote that no commit holds goes (temporaries of the targets,
  // pending bundles), committed batches are rolled forward; best effort.
  void CleanUpAfterFailure();
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
  // Reader side: where the open commit starts, source bytes read in it, and whether a batch of it
  // was spilled already.
  SourcePos commit_start_;
  uint64_t commit_bytes_ = 0;
  bool commit_open_ = false;
  // Committer side: the runs of the open commit per shard (oldest first), run directories.
  std::map<int32_t, std::vector<std::string>> runs_;
  std::map<int32_t, std::string> run_dirs_;  // planned, per shard
  std::set<std::string> made_run_dirs_;
  std::string run_id_;
  int run_seq_ = 0;
  std::thread committer_;
  Status commit_status_;
  int64_t start_us_ = 0;
  int64_t records_total_ = 0, negatives_total_ = 0;
  uint64_t total_bytes_ = 0, done_bytes_ = 0;
};

}  // namespace shardtool::import_detail
