#include "jobs/inspect/inspect_tree.h"

namespace shardtool {

Result<TreeInspectReport> InspectTree(FileSystem* fs, const std::string& path, const RdbInfo* rdb) {
  TreeInspectReport r;
  r.path = path;
  r.name = ClassifySavedTreeName(BaseName(path));
  if (!r.name.saved_tree && rdb == nullptr) {
    return UsageErrorStatus(BaseName(path) +
                            " is not named like a saved tree (<rdb>-saved.dat or "
                            "<rdb>-buckets-saved.dat): give --rdb");
  }
  r.rdb = rdb != nullptr ? rdb : r.name.rdb;
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(fs, path));
  if (r.rdb == nullptr) {
    r.tree.file = path;
    r.tree.kind = r.name.kind;
    r.tree.size = bytes.size();
    AddFinding(&r.tree.findings, "V6", Severity::kNotice, path, -1, -1, "",
               "not an Rdb tree (" + r.name.db +
                   " is another part of the engine), skipped: give --rdb to decode it as one");
    r.tree.notice_count = 1;
    r.tree.rule_counts["V6"] = 1;
    return r;
  }
  r.tree = ParseSavedTree(bytes, r.name.kind, r.rdb->key_size, path, r.rdb->fixed_data_size);
  return r;
}

}  // namespace shardtool
