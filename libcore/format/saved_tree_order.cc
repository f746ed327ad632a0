// The order Gigablast keeps its trees in (V5; man/shardtool-format.5 "Saved trees"):
//  - RdbTree: the in-order walk from the head node is strictly increasing in (collnum, key), the
//    collnum a signed 16-bit number, the key the whole unsigned integer (delbit included).
//  - RdbBuckets: buckets follow each other in non-decreasing collnum; within a bucket the first
//    `sorted` keys are strictly increasing and the end key is above every other key of the bucket
//    (the keys added after the last sort are otherwise in arrival order); within a collnum every
//    key of a bucket is above the end key of the bucket before. Keys compare ignoring the delbit
//    (cmpNegEq), as RdbBuckets does.
#include <algorithm>
#include <string>

#include "base/coding.h"
#include "format/key.h"
#include "format/saved_tree.h"
#include "format/saved_tree_internal.h"

namespace shardtool {
namespace {

using saved_tree_internal::Note;

void CheckTreeOrder(SavedTree* t) {
  const int ks = t->key_size;
  for (size_t i = 1; i < t->records.size(); i++) {
    const SavedTreeRecord &a = t->records[i - 1], &b = t->records[i];
    if (a.collnum < b.collnum) continue;
    if (a.collnum == b.collnum && CompareKeys(t->key(i - 1), t->key(i), ks) < 0) continue;
    Note(t, "V5", Severity::kError, b.offset, KeyHex(t->key(i), ks),
         "node " + std::to_string(b.node) + " (collnum " + std::to_string(b.collnum) +
             ") does not follow node " + std::to_string(a.node) + " (collnum " +
             std::to_string(a.collnum) + ", key " + KeyHex(t->key(i - 1), ks) + ") in tree order");
  }
}

void CheckBucketsOrder(SavedTree* t) {
  const int ks = t->key_size;
  const int64_t rs = t->buckets.rec_size;
  int64_t prev_end = -1;  // record index of the previous bucket's end key
  int16_t prev_collnum = 0;
  auto rec_note = [&](size_t j, int32_t b, const std::string& what) {
    Note(t, "V5", Severity::kError, t->records[j].offset, KeyHex(t->key(j), ks),
         "bucket " + std::to_string(b) + " record " + std::to_string(t->records[j].node) + " " +
             what);
  };
  for (size_t b = 0; b < t->bucket_list.size(); b++) {
    const SavedBucket& bk = t->bucket_list[b];
    const int32_t bi = static_cast<int32_t>(b);
    const size_t i = bk.first_record, end = i + static_cast<size_t>(std::max(bk.num_keys, 0));
    if (prev_end >= 0 && bk.collnum < prev_collnum) {
      Note(t, "V5", Severity::kError, bk.offset, "",
           "bucket " + std::to_string(b) + " (collnum " + std::to_string(bk.collnum) +
               ") follows a bucket of collnum " + std::to_string(prev_collnum));
    } else if (prev_end >= 0 && bk.collnum == prev_collnum) {
      const size_t pe = static_cast<size_t>(prev_end);
      for (size_t j = i; j < end; j++) {
        if (CompareKeysNegEq(t->key(j), t->key(pe), ks) <= 0)
          rec_note(j, bi, "is not above the previous bucket's end key " + KeyHex(t->key(pe), ks));
      }
    }
    for (size_t j = i + 1; j < end && static_cast<int64_t>(j - i) < bk.sorted; j++) {
      if (CompareKeysNegEq(t->key(j - 1), t->key(j), ks) >= 0)
        rec_note(j, bi,
                 "is not above the one before it, inside the sorted part (" +
                     std::to_string(bk.sorted) + " keys)");
    }
    int64_t end_index = end > i ? static_cast<int64_t>(end - 1) : -1;
    const int64_t ek = bk.end_key_offset;
    if (ek >= 0 && ek % rs == 0 && ek / rs < static_cast<int64_t>(end - i)) {
      end_index = static_cast<int64_t>(i) + ek / rs;
      const size_t e = static_cast<size_t>(end_index);
      for (size_t j = i; j < end; j++) {
        if (j != e && CompareKeysNegEq(t->key(j), t->key(e), ks) >= 0)
          rec_note(j, bi, "is not below the bucket's end key " + KeyHex(t->key(e), ks));
      }
    }
    if (end_index >= 0) {
      prev_end = end_index;
      prev_collnum = bk.collnum;
    }
  }
}

}  // namespace

void CheckSavedTreeOrder(SavedTree* t) {
  if (t->kind == SavedTreeKind::kTree) {
    if (t->in_tree_order) CheckTreeOrder(t);
  } else {
    CheckBucketsOrder(t);
  }
}

}  // namespace shardtool
