#include "jobs/verify/tree_verifier.h"

#include <algorithm>

#include "catalog/namespace.h"
#include "format/key.h"
#include "jobs/verify/verify_job.h"

namespace shardtool {
namespace {

constexpr uint64_t kMaxTreeBytes = uint64_t{1} << 30;

void CountTreeRule(TreeVerifyReport* r, const Finding& f) {
  r->rule_counts[f.rule]++;
  (f.severity == Severity::kError ? r->errors : r->notices)++;
}

void SkippedTree(TreeVerifyReport* r, const std::string& what) {
  r->skipped = true;
  r->ownership_checked = "skipped";
  Finding f{"V6", Severity::kNotice, r->file, -1, -1, "", what};
  CountTreeRule(r, f);
  r->findings.push_back(std::move(f));
}

}  // namespace

TreeVerifyReport VerifySavedTree(const std::string& path, std::string_view bytes,
                                 const RdbInfo& rdb, SavedTreeKind kind, int32_t collnum,
                                 const SlotOwners* owners, int report_limit) {
  TreeVerifyReport r;
  r.file = path;
  r.rdb = std::string(rdb.name);
  r.kind = SavedTreeKindName(kind);
  r.collnum = collnum;
  r.bytes = bytes.size();
  SavedTree t = ParseSavedTree(bytes, kind, rdb.key_size, path, rdb.fixed_data_size);
  r.positive = t.positive;
  r.negative = t.negative;
  r.decoded_completely = t.decoded_completely;
  r.errors = t.error_count;
  r.notices = t.notice_count;
  r.rule_counts = t.rule_counts;
  r.findings = std::move(t.findings);
  if (!rdb.shardable()) {
    r.ownership_checked = "not_shardable";
  } else if (owners == nullptr) {
    r.ownership_checked = "unversioned";
  } else {
    r.ownership_checked = "records";
  }
  for (size_t i = 0; i < t.records.size(); i++) {
    const SavedTreeRecord& rec = t.records[i];
    if (rec.collnum != collnum) {
      r.other_collnums++;
      continue;
    }
    r.this_collnum++;
    if (r.ownership_checked != "records") continue;
    const int slot = KeySlot(rdb, t.key(i));
    const int owner = owners->owner[static_cast<size_t>(slot)];
    if (owner == owners->self) {
      r.owned++;
      continue;
    }
    r.not_owned++;
    r.not_owned_by_shard[owner]++;
    if (static_cast<int>(r.misplaced_sample.size()) < report_limit)
      r.misplaced_sample.push_back({KeyHex(t.key(i), rdb.key_size), rec.offset, slot, owner});
  }
  return r;
}

Result<std::vector<TreeVerifyReport>> VerifySavedTrees(
    FileSystem* fs, const std::vector<VerifyCollection>& collections, int report_limit) {
  std::vector<TreeVerifyReport> out;
  if (collections.empty()) return out;
  const std::string workdir = DirName(collections.front().dir);
  const auto db = ParseDatabaseDirName(BaseName(collections.front().dir));
  const int32_t collnum = db ? db->collnum : 0;
  for (const VerifyCollection& c : collections) {
    if (c.rdb == nullptr) continue;
    for (SavedTreeKind kind : {SavedTreeKind::kTree, SavedTreeKind::kBuckets}) {
      const std::string path = JoinPath(workdir, SavedTreeFileName(c.rdb->name, kind));
      auto bytes = ReadFileToString(fs, path, kMaxTreeBytes);
      if (!bytes.ok() && bytes.status().code() == ErrorCode::kNotFound) continue;
      if (!bytes.ok() && bytes.status().code() == ErrorCode::kCorruption) {
        // Larger than a tree Gigablast keeps in memory, or changed size while read.
        TreeVerifyReport big;
        big.file = path;
        big.rdb = std::string(c.rdb->name);
        big.kind = SavedTreeKindName(kind);
        big.collnum = collnum;
        if (auto st = fs->Stat(path); st.ok()) big.bytes = st->size;
        SkippedTree(&big, "not checked: " + bytes.status().message());
        out.push_back(std::move(big));
        continue;
      }
      if (!bytes.ok()) return bytes.status();
      out.push_back(VerifySavedTree(path, *bytes, *c.rdb, kind, collnum,
                                    c.owners ? &*c.owners : nullptr, report_limit));
    }
  }
  // The other engine parts' trees: named, not checked.
  auto entries = fs->ListDir(workdir);
  if (!entries.ok()) return out;
  std::vector<std::string> names;
  for (const DirEntry& e : *entries) {
    if (e.is_dir) continue;
    const SavedTreeName n = ClassifySavedTreeName(e.name);
    if (n.saved_tree && n.rdb == nullptr) names.push_back(e.name);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const SavedTreeName n = ClassifySavedTreeName(name);
    TreeVerifyReport r;
    r.file = JoinPath(workdir, name);
    r.rdb = n.db;
    r.kind = SavedTreeKindName(n.kind);
    r.collnum = collnum;
    if (auto st = fs->Stat(r.file); st.ok()) r.bytes = st->size;
    SkippedTree(&r, "not an Rdb tree (" + n.db + " is another part of the engine), skipped");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace shardtool
