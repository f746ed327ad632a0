#include "jobs/merge/merge_plan.h"

#include <algorithm>

#include "format/file_name.h"

namespace shardtool {

uint64_t CommittedLogicalSize(const CommittedFile& f, uint64_t default_part_size) {
  if (f.parts.empty()) return 0;
  const uint64_t p = f.parts.size() >= 2 ? f.parts.front().size : default_part_size;
  return static_cast<uint64_t>(f.parts.back().index) * p + f.parts.back().size;
}

void NameMergeFiles(const RdbInfo& rdb, int32_t first_id, int32_t n, MergePlan* plan) {
  const std::string db(rdb.name);
  plan->target_id = first_id - 1;
  plan->merge_files = n;
  plan->target_data = MergeName(db, first_id - 1, n, rdb.titledb_naming);
  plan->target_map = MapName(db, first_id - 1);
  plan->target_crc = CrcName(db, first_id - 1);
  plan->final_data = DataName(db, first_id, rdb.titledb_naming);
  plan->final_map = MapName(db, first_id);
  plan->final_crc = CrcName(db, first_id);
}

namespace {

std::string Ids(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

// The auto window among the normal files (Gigablast's attemptMerge): index of the first file and
// the count, or count 0.
std::pair<size_t, size_t> AutoWindow(const std::vector<const CommittedFile*>& normal,
                                     const RdbInfo& rdb, int min_files, uint64_t part_size) {
  const size_t num = normal.size();
  if (min_files < 2) min_files = 2;
  if (num < static_cast<size_t>(min_files)) return {0, 0};
  size_t n = num - static_cast<size_t>(min_files) + 2;
  n = std::min<size_t>(n, kMaxAutoMergeFiles);
  std::vector<uint64_t> size(num);
  for (size_t i = 0; i < num; i++) size[i] = CommittedLogicalSize(*normal[i], part_size);
  uint64_t mint = UINT64_MAX;
  size_t mini = SIZE_MAX;
  for (size_t i = 0; i + n <= num; i++) {
    uint64_t total = 0;
    for (size_t j = i; j < i + n; j++) total += size[j];
    if (total >= mint) continue;
    // Allow a file to be at most 4x smaller than the window after it, so that an older small
    // file is not left behind for ever (not for titledb).
    if (!rdb.titledb_naming && i > 0 && size[i - 1] < total / 4) continue;
    mint = total;
    mini = i;
  }
  if (mini == SIZE_MAX) return {0, 0};
  return {mini, n};
}

}  // namespace

Result<MergePlan> PlanMerge(const std::vector<CommittedFile>& files, const RdbInfo& rdb,
                            MergeSelection selection, const std::vector<int32_t>& ids,
                            int min_files, uint64_t part_size, bool single_ok) {
  const size_t min_inputs = single_ok ? 1 : 2;
  MergePlan plan;
  std::vector<const CommittedFile*> normal, merges;
  for (const CommittedFile& f : files) (f.merge ? merges : normal).push_back(&f);

  if (!merges.empty()) {
    // An interrupted merge: Gigablast resumes it before anything else.
    if (merges.size() > 1) {
      return FailedPreconditionStatus("more than one merge file of " + std::string(rdb.name) +
                                      " is present (" + merges[0]->name + ", " + merges[1]->name +
                                      "); not a state a merge can continue (D9)");
    }
    const CommittedFile& m = *merges[0];
    auto name = ParseDataFileName(m.name);
    if (!name || name->merge_files < 1 || m.id % 2 != 0) {
      return FailedPreconditionStatus(m.name + ": not a recognisable merge file (D4)");
    }
    NameMergeFiles(rdb, m.id + 1, name->merge_files, &plan);
    plan.target_data = m.name;  // keep the name as found (titledb -DDD)
    plan.existing_target = true;
    for (const CommittedFile* f : normal) {
      if (f->id > m.id && static_cast<int32_t>(plan.inputs.size()) < name->merge_files) {
        plan.inputs.push_back(*f);
      }
    }
    plan.incorporate_only = plan.inputs.empty();
    if (selection == MergeSelection::kFiles) {
      std::vector<int32_t> have;
      for (const auto& f : plan.inputs) have.push_back(f.id);
      if (have != ids) {
        return FailedPreconditionStatus(
            "an interrupted merge (" + m.name + ", inputs " + Ids(have) +
            ") must be finished first: rerun with --auto or --files " + Ids(have));
      }
    }
    bool older = false;
    for (const CommittedFile* f : normal) older = older || f->id < m.id;
    plan.drop_negatives = !older;
    return plan;
  }

  std::vector<const CommittedFile*> chosen;
  switch (selection) {
    case MergeSelection::kFiles: {
      if (ids.size() < min_inputs) {
        return UsageErrorStatus(single_ok ? "--files needs a file id"
                                          : "--files needs at least two file ids (G1)");
      }
      std::vector<int32_t> sorted = ids;
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
        return UsageErrorStatus("--files " + Ids(ids) + ": an id is given twice");
      }
      for (int32_t id : sorted) {
        auto it = std::find_if(normal.begin(), normal.end(),
                               [&](const CommittedFile* f) { return f->id == id; });
        if (it == normal.end()) {
          return NotFoundStatus("--files: " + std::string(rdb.name) + " file id " +
                                std::to_string(id) + " is not a committed data file");
        }
        chosen.push_back(*it);
      }
      // Consecutive among the files present: no other file between the first and the last.
      for (const CommittedFile* f : normal) {
        if (f->id > sorted.front() && f->id < sorted.back() &&
            !std::binary_search(sorted.begin(), sorted.end(), f->id)) {
          return UsageErrorStatus("--files " + Ids(ids) + ": not consecutive, file " + f->name +
                                  " lies between them (G1)");
        }
      }
      break;
    }
    case MergeSelection::kAll:
      chosen = normal;
      if (chosen.size() < min_inputs) {
        plan.note = chosen.empty() ? "no " + std::string(rdb.name) + " file: nothing to merge"
                                   : "one " + std::string(rdb.name) +
                                         " file: nothing to merge (--cleanup-orphans rewrites it "
                                         "without its orphans)";
        return plan;
      }
      break;
    case MergeSelection::kAuto: {
      const int minf = min_files > 0 ? min_files : kDefaultMinFilesToMerge;
      auto [first, n] = AutoWindow(normal, rdb, minf, part_size);
      if (n < 2) {
        plan.note = std::to_string(normal.size()) + " " + std::string(rdb.name) +
                    " files, fewer than the " + std::to_string(minf) +
                    " that call for a merge: nothing to merge";
        return plan;
      }
      chosen.assign(normal.begin() + static_cast<ptrdiff_t>(first),
                    normal.begin() + static_cast<ptrdiff_t>(first + n));
      break;
    }
  }
  if (chosen.size() > 999) {
    return UsageErrorStatus("cannot merge " + std::to_string(chosen.size()) +
                            " files at once (the name holds 3 digits)");
  }
  if (chosen.front()->id < 1) {
    return FailedPreconditionStatus(chosen.front()->name + ": id 0 leaves no id for the target");
  }
  for (const CommittedFile* f : chosen) plan.inputs.push_back(*f);
  NameMergeFiles(rdb, chosen.front()->id, static_cast<int32_t>(chosen.size()), &plan);
  plan.drop_negatives = normal.front()->id == chosen.front()->id;
  return plan;
}

}  // namespace shardtool
