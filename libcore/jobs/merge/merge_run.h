// MergeRun: one execution of the merge job on a journal's worth of decisions (merge_job.h says
// what the job does; this is how). Internal to the job: RunMerge plans, takes the guards, and
// hands the journal to a MergeRun, which
//   - opens the inputs and positions them (from the start, or after the journal's last key),
//   - creates or resumes the target (TargetWriter), opens the orphan bundles,
//   - runs the per-record loop for the Rdb's layout (merge_loop.h) with itself as the hooks:
//     checkpoints, stop, rate limit, disk budget (chopHead of consumed input parts),
//   - completes the target and incorporates it (merge_commit.cc), or stops at a checkpoint.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/target_writer.h"
#include "iter/data_file.h"
#include "iter/file_stream.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/merge/merge_job.h"
#include "jobs/merge/merge_loop.h"

namespace shardtool {

class MergeRun : public MergeLoopHooks, public DamageSink {
 public:
  enum class Mode {
    kFresh,        // nothing written yet
    kJournaled,    // continue from the journal's checkpoint
    kUnjournaled,  // an existing target without a journal: continue after its last record
  };
  MergeRun(FileSystem* fs, const MergeRequest& req, const MergeEnv& env, const Catalog& catalog,
           const CollectionEntry& coll, const RdbInfo& rdb, MergeReport* report);
  ~MergeRun() override;

  // Merges, then incorporates (or stops at a checkpoint: report->outcome Interrupted).
  Status Run(MergeJournal journal, Mode mode);
  // Finishes an incorporate (a journal in state "incorporating").
  Status Incorporate(MergeJournal journal);

  // MergeLoopHooks.
  Status DropOrphan(const Record& rec, size_t source, int slot) override;
  Result<bool> Tick() override;
  // DamageSink (--quarantine-bad, merge_damage.cc): the damaged bytes go to the quarantine.
  Status LeaveOut(size_t source, uint64_t begin, uint64_t end, const Status& why) override;

 private:
  template <int KS, SlotKind SK, KeyCompression C, int D>
  Status RunLayout();
  Status OpenInputs();
  Status OpenSinks();
  // The quarantine entry of damaged input bytes (merge_damage.cc): reopened from the journal.
  Status OpenDamagedBundle();
  BundleHeader DamagedHeader() const;
  Result<BundleWriter*> Bundle(int32_t shard);
  BundleHeader HeaderFor(int32_t shard) const;
  void SetSources(BundleWriter* w);
  void Throttle();  // --rate
  // Free space (merge_space.cc): what the merge will add to the disk, and NoSpace when the disk
  // does not have it.
  uint64_t ExpectedExtraDisk() const;
  Status CheckFreeSpace();
  Status Checkpoint(bool clean_stop);
  void UpdateJournal();
  Status Chop(bool* blocked_by_pin);
  Status Complete();
  Status Stop();
  uint64_t OutputSize() const;
  uint64_t BundleBytes() const;
  uint64_t ExtraDisk() const;
  uint64_t BytesIn() const;
  Result<std::vector<std::string>> Pinned();
  void FillReport();
  // Incorporate steps (merge_commit.cc).
  Status CommitBundles();
  Status RetireAndRemoveInputs(bool* first_input_gone);
  Status RenameTarget();

  FileSystem* fs_;
  const MergeRequest& req_;
  const MergeEnv& env_;
  const Catalog& catalog_;
  const CollectionEntry& coll_;
  const RdbInfo& rdb_;
  MergeReport* report_;
  MergeJournal j_;
  Mode mode_ = Mode::kFresh;
  std::string dir_;  // the database dir (workdir/coll.<db>.<n>)
  int64_t t0_ = 0;   // NowMicros at the start of this run

  std::vector<DataFile> inputs_;
  std::vector<std::optional<CrcSidecar>> sidecars_;  // per input: checked while reading
  std::vector<int32_t> first_part_;                  // present leading part per input (chopHead)
  std::vector<PositionedStream*> streams_;           // set while the loop runs
  std::array<OrphanVerdict, kNumSlots> verdicts_{};
  std::array<int32_t, kNumSlots> owners_{};
  bool orphans_on_ = false;
  MergeLoopState loop_;

  std::unique_ptr<TargetWriter> writer_;
  std::unique_ptr<CountingSink> counting_;
  std::string sink_dir_;  // --orphans-to dir or the quarantine dir
  uint32_t bundle_tag_ = 0;
  std::map<int32_t, std::unique_ptr<BundleWriter>> bundles_;  // by target shard
  std::unique_ptr<BundleWriter> damaged_;  // --quarantine-bad's entry, once there is damage
  std::vector<uint64_t> damaged_done_;     // per input: end of the damage the journal lists

  uint64_t ckpt_size_ = 0;      // output size at the last checkpoint
  uint64_t next_chop_at_ = 0;   // output size at which the disk budget is checked again
  uint64_t chopped_bytes_ = 0;  // input bytes unlinked (all runs)
  int64_t parts_chopped_ = 0;
  uint64_t peak_extra_ = 0;
  bool stopped_ = false;
  Status stop_reason_;
};

}  // namespace shardtool
