// The import's free-space check (issue 16 item 8): before it writes, the import makes sure that
// every file system it writes to holds what it will add there — the remaining source bytes routed
// to the shards of the targets on it (slots taken as equally full) with their maps and sidecars,
// the staged bundles, a commit's spilled runs — and refuses at once with NoSpace (exit 7) instead
// of filling the disk half-way. Negatives and records a target already holds are counted too: the
// figure errs on the safe side.
#include <algorithm>
#include <map>

#include "catalog/state_paths.h"
#include "jobs/import/import_internal.h"

namespace shardtool::import_detail {

Status Importer::CheckFreeSpace() {
  if (req_.dry_run || total_bytes_ == 0) return Status::Ok();
  std::map<int32_t, uint64_t> slots;  // slots routed to each shard
  for (int32_t o : owner_) slots[o]++;
  auto routed = [&](int32_t shard) {
    return static_cast<uint64_t>(static_cast<double>(total_bytes_) *
                                 static_cast<double>(slots[shard]) / kNumSlots);
  };
  auto with_map = [&](uint64_t bytes) {
    const uint64_t pages = bytes / rdb_->page_size + 1;
    return bytes + pages * (static_cast<uint64_t>(rdb_->key_size) + 2 + 4);
  };
  struct Need {
    std::string path, what;
    uint64_t bytes = 0;
  };
  std::map<uint64_t, Need> by_device;
  auto add = [&](std::string path, uint64_t bytes, const std::string& what) -> Status {
    while (!fs_->Exists(path) && DirName(path) != path) path = DirName(path);
    ASSIGN_OR_RETURN(FileStat st, fs_->Stat(path));
    Need& n = by_device[st.dev];
    if (n.path.empty()) n.path = path;
    n.bytes += bytes;
    n.what += (n.what.empty() ? "" : ", ") + what;
    return Status::Ok();
  };
  for (const auto& t : locals_) {
    RETURN_IF_ERROR(add(t->db_dir, with_map(routed(t->shard)), t->name));
  }
  for (int32_t s : stage_shards_) {
    RETURN_IF_ERROR(add(req_.stage_dir, routed(s), "bundles of shard " + std::to_string(s)));
  }
  const uint64_t commit = std::min(req_.commit_every, total_bytes_);
  if (commit > BatchLimit()) {  // a commit spills runs (removed when it is done)
    RETURN_IF_ERROR(add(StateDir(req_.workdir), commit, "spilled runs"));
  }
  for (const auto& [dev, n] : by_device) {
    ASSIGN_OR_RETURN(uint64_t free, fs_->FreeBytes(n.path));
    if (free >= n.bytes) continue;
    return NoSpaceStatus(n.path + ": the import needs about " + std::to_string(n.bytes) +
                         " bytes of free space there (" + n.what + ") and has " +
                         std::to_string(free) + "; free some space, or import the source in parts")
        .With("needed", static_cast<int64_t>(n.bytes))
        .With("free", static_cast<int64_t>(free));
  }
  return Status::Ok();
}

}  // namespace shardtool::import_detail
