// MergeRun's free-space check (issue 16, "disk left full after ENOSPC"): before it writes, a merge
// makes sure the disk holds what it will add, so that it refuses at once with exit 7 instead of
// filling the disk and failing half-way.
#include <algorithm>

#include "jobs/merge/merge_run.h"

namespace shardtool {

uint64_t MergeRun::ExpectedExtraDisk() const {
  uint64_t remaining = 0, parts = 0;
  for (size_t i = 0; i < inputs_.size(); i++) {
    const MergeJournalInput& in = j_.inputs[i];
    remaining += in.size > in.start ? in.size - in.start : 0;
    parts += inputs_[i].big->part_size();
  }
  remaining -= std::min(remaining, j_.counters.bytes_in);  // a resumed merge has done part of it
  // The output is at most about the input (canonical compression), plus its map and sidecar.
  const uint64_t pages = remaining / rdb_.page_size + 1;
  uint64_t need = remaining + pages * (static_cast<uint64_t>(rdb_.key_size) + 2 + 4);
  // With --max-extra-disk consumed input parts are removed while merging: the budget plus the
  // part each input is being read from.
  if (req_.max_extra_disk > 0) need = std::min(need, req_.max_extra_disk + parts);
  return need;
}

Status MergeRun::CheckFreeSpace() {
  const uint64_t need = ExpectedExtraDisk();
  ASSIGN_OR_RETURN(uint64_t free, fs_->FreeBytes(dir_));
  if (free >= need) return Status::Ok();
  return NoSpaceStatus(dir_ + ": the merge needs about " + std::to_string(need) +
                       " bytes of free space for its output and has " + std::to_string(free) +
                       (req_.max_extra_disk > 0
                            ? "; free some space or lower --max-extra-disk"
                            : "; free some space, or bound what it adds with --max-extra-disk"))
      .With("needed", static_cast<int64_t>(need))
      .With("free", static_cast<int64_t>(free));
}

}  // namespace shardtool
