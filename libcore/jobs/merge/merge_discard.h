// Discarding an interrupted merge (`merge --abort`, and a merge that stopped on corrupt input):
// the target (its parts, map and sidecar), the unfinished orphan bundles, and then the journal are
// removed, in that order, so that a crash at any point leaves a journal that names what is left and
// a rerun finishes the job (every step is idempotent). The inputs are not touched; a merge whose
// inputs are no longer whole (it is incorporating, or --max-extra-disk removed consumed parts, or
// it continues a headless Gigablast merge) cannot be discarded without losing records: it is
// refused (FailedPrecondition) and has to be finished.
//
// Test points: merge.discard.after_target, merge.discard.after_bundles.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "io/file_system.h"
#include "jobs/merge/merge_journal.h"

namespace shardtool {

// "" when the merge of journal `j` can be discarded, else why not.
std::string WhyNotDiscardable(const MergeJournal& j);

// Removes what the interrupted merge of `j` wrote (see above). FailedPrecondition when
// WhyNotDiscardable(j) is not empty.
Status DiscardMerge(FileSystem* fs, const std::string& workdir, const MergeJournal& j);

struct MergeReport;

// `merge --abort` under the collection's write acquisition: discards the interrupted merge of
// `journal` (DiscardMerge) and fills the report (inputs, target, note); with no journal there is
// nothing to do (report->nothing_to_do). FailedPrecondition when it cannot be discarded.
Status AbortMerge(FileSystem* fs, const std::string& workdir,
                  const std::optional<MergeJournal>& journal, MergeReport* report);

// The status a merge that failed with `failure` ends with. On corrupt input (Corruption) or a full
// disk (NoSpace) the merge cannot go on by itself: when its inputs are whole it is discarded here
// (no target is left to fill the disk or wedge the next run) and the message says so; otherwise it
// says how to get out. Other failures (a resumable I/O error) are returned as they are. A failure
// of the discard itself is added to the message; the journal then stays and `merge --abort`
// finishes the job.
Status AfterFailedMerge(FileSystem* fs, const std::string& workdir, const MergeJournal& j,
                        Status failure);

}  // namespace shardtool
