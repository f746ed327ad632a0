#include "format/saved_tree.h"

#include <algorithm>

#include "base/coding.h"
#include "format/key.h"
#include "format/saved_tree_internal.h"

namespace shardtool {
namespace saved_tree_internal {

void Note(SavedTree* t, const char* rule, Severity sev, int64_t offset, std::string key,
          std::string message) {
  int64_t listed = 0;
  for (const Finding& f : t->findings) listed += f.rule == rule;
  if (listed >= kListedPerRule) {
    // Only the count grows: the last listed finding of the rule says how many there are.
    for (auto it = t->findings.rbegin(); it != t->findings.rend(); ++it) {
      if (it->rule != rule) continue;
      const std::string tag = " (and more of this rule)";
      if (it->message.size() < tag.size() ||
          it->message.compare(it->message.size() - tag.size(), tag.size(), tag) != 0)
        it->message += tag;
      break;
    }
  } else {
    AddFinding(&t->findings, rule, sev, t->file, offset, -1, std::move(key), std::move(message));
  }
  (sev == Severity::kError ? t->error_count : t->notice_count)++;
  t->rule_counts[rule]++;
}

void Truncated(SavedTree* t, int64_t offset, uint64_t need, const std::string& what) {
  Note(t, "V1", Severity::kError, offset, "",
       "truncated: " + what + " needs " + std::to_string(need) + " bytes at offset " +
           std::to_string(offset) + ", the file ends at " + std::to_string(t->size));
}

}  // namespace saved_tree_internal

using saved_tree_internal::Note;
using saved_tree_internal::Truncated;

const char* SavedTreeKindName(SavedTreeKind k) {
  return k == SavedTreeKind::kTree ? "rdbtree" : "rdbbuckets";
}

SavedTreeName ClassifySavedTreeName(std::string_view name) {
  SavedTreeName n;
  constexpr std::string_view kBuckets = "-buckets-saved.dat", kTree = "-saved.dat";
  auto ends = [&](std::string_view suffix) {
    return name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(kBuckets)) {
    n.kind = SavedTreeKind::kBuckets;
    n.db = name.substr(0, name.size() - kBuckets.size());
  } else if (ends(kTree)) {
    n.kind = SavedTreeKind::kTree;
    n.db = name.substr(0, name.size() - kTree.size());
  } else {
    return n;
  }
  n.saved_tree = true;
  n.rdb = FindRdb(n.db);
  return n;
}

std::string SavedTreeFileName(std::string_view db, SavedTreeKind kind) {
  return std::string(db) + (kind == SavedTreeKind::kTree ? "-saved.dat" : "-buckets-saved.dat");
}

SavedTree ParseSavedTree(std::string_view bytes, SavedTreeKind kind, int key_size,
                         const std::string& file, int32_t fixed_data_size) {
  SavedTree t;
  t.expected_fixed_data_size = fixed_data_size;
  t.file = file;
  t.kind = kind;
  t.key_size = key_size;
  t.size = bytes.size();
  if (key_size < 8 || key_size > kMaxKeySize) {
    Note(&t, "V2", Severity::kError, -1, "",
         "key size " + std::to_string(key_size) + " is not one shardtool decodes");
    return t;
  }
  if (kind == SavedTreeKind::kTree) {
    ParseRdbTree(bytes, &t);
  } else {
    ParseRdbBuckets(bytes, &t);
  }
  for (const SavedTreeRecord& r : t.records) (r.negative ? t.negative : t.positive)++;
  if (t.header_ok) CheckSavedTreeOrder(&t);
  if (t.consumed < t.size && t.decoded_completely) {
    Note(&t, "V3", Severity::kError, static_cast<int64_t>(t.consumed), "",
         std::to_string(t.size - t.consumed) + " trailing bytes after the last " +
             (kind == SavedTreeKind::kTree ? "node" : "bucket") + " (the decoding ends at " +
             std::to_string(t.consumed) + ")");
    t.decoded_completely = false;
  }
  return t;
}

}  // namespace shardtool
