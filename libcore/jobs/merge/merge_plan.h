// Which files a merge takes and what it writes (doc/format.md §8.1, §8.3, §8.6), from the committed
// files of the collection:
//   - an existing even-id merge file <db>E.mmm.dat means an interrupted merge: it is resumed with
//     the (up to mmm) files that follow it as inputs (Gigablast's rule); with none left, only its
//     rename is due (an interrupted incorporate);
//   - kFiles: the given ids, which must be present normal files, consecutive among the files
//     present, at least two (one with single_ok);
//   - kAll: every normal file (nothing to do below two; with single_ok, one file is rewritten on
//     its own: how --cleanup-orphans removes the orphans of an Rdb that has one file);
//   - kAuto: nothing below min_files files; else Gigablast's window: n = numFiles - min_files + 2
//     files (at most 50), the consecutive window of smallest total size, skipping (except for
//     titledb) a window whose predecessor file is smaller than a quarter of the window's total.
// Negatives are dropped when no normal file older than the first input is present.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/discovery.h"
#include "format/rdb_registry.h"
#include "jobs/merge/merge_job.h"

namespace shardtool {

struct MergePlan {
  std::vector<CommittedFile> inputs;  // oldest first
  int32_t target_id = 0;              // the even id: first input id - 1
  int32_t merge_files = 0;            // mmm
  std::string target_data, target_map, target_crc;
  std::string final_data, final_map, final_crc;
  bool drop_negatives = false;
  bool existing_target = false;   // a merge file was found (resume without a journal)
  bool incorporate_only = false;  // the merge file has no input left: only its rename is due
  std::string note;               // why there is nothing to do
  bool nothing_to_do() const { return inputs.empty() && !incorporate_only; }
};

// The logical size of a committed file (missing leading parts counted), given the part size used
// when it has a single part.
uint64_t CommittedLogicalSize(const CommittedFile& f, uint64_t default_part_size);

// Fills the target and final names for a merge of n files whose first input id is first_id.
void NameMergeFiles(const RdbInfo& rdb, int32_t first_id, int32_t n, MergePlan* plan);

// Plans the merge (see the comment atop this file). UsageError for --files that are not a valid
// run of files, NotFound for an id that is not present, FailedPrecondition when an existing merge
// file conflicts with --files/--all.
Result<MergePlan> PlanMerge(const std::vector<CommittedFile>& files, const RdbInfo& rdb,
                            MergeSelection selection, const std::vector<int32_t>& ids,
                            int min_files, uint64_t part_size, bool single_ok = false);

}  // namespace shardtool
