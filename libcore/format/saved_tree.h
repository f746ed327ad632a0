// Gigablast's saved in-memory trees (man/shardtool-format.5, doc/format-notes.md "Saved trees"):
// on a clean shutdown each Rdb writes its tree to the working dir, as `<rdb>-saved.dat` (RdbTree,
// a node array with links) or `<rdb>-buckets-saved.dat` (RdbBuckets, sorted key buckets; posdb).
// Parsing works on the file's bytes, checks every bound before it reads or allocates, accounts
// for every byte, and reports what it finds as located findings (rules V1-V7) instead of failing.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "format/finding.h"
#include "format/rdb_registry.h"

namespace shardtool {

// "Any data size form": ParseSavedTree then does not compare the header's with the Rdb's.
constexpr int32_t kAnyFixedDataSize = INT32_MIN;

enum class SavedTreeKind : uint8_t {
  kTree,     // RdbTree::fastSave
  kBuckets,  // RdbBuckets::fastSave
};

const char* SavedTreeKindName(SavedTreeKind k);  // "rdbtree" / "rdbbuckets"

// What a working-dir file name says.
struct SavedTreeName {
  bool saved_tree = false;  // "<db>-saved.dat" or "<db>-buckets-saved.dat"
  SavedTreeKind kind = SavedTreeKind::kTree;
  std::string db;                // "posdb", "statsdb", "autoban", ...
  const RdbInfo* rdb = nullptr;  // nullptr: not a registry Rdb (another part of the engine)
};

SavedTreeName ClassifySavedTreeName(std::string_view file_name);
// "<rdb>-saved.dat" / "<rdb>-buckets-saved.dat".
std::string SavedTreeFileName(std::string_view db, SavedTreeKind kind);

// The RdbTree header (26 bytes, little-endian).
struct TreeHeader {
  int32_t num_nodes = 0, fixed_data_size = 0, num_used_nodes = 0, head_node = -1, next_node = 0,
          min_unused_node = 0;
  uint8_t do_balancing = 0, own_data = 0;
};

// The RdbBuckets header (37 bytes, little-endian).
struct BucketsHeader {
  int32_t version = 0, num_buckets = 0, max_buckets = 0;
  uint8_t key_size = 0;
  int32_t fixed_data_size = 0, rec_size = 0, num_keys = 0, num_neg_keys = 0, data_mem = 0,
          bucket_size = 0;
};

struct SavedTreeRecord {
  int32_t collnum = 0;
  int64_t offset = 0;  // of the key in the file
  int64_t node = 0;    // RdbTree node number, or index in the bucket
  int32_t bucket = -1;
  bool negative = false;
  int32_t data_size = 0;
  int64_t data_offset = -1;  // -1: the data is not in the file (none, or RdbBuckets pointers)
};

// One RdbBuckets bucket: its header and where its records are in SavedTree::records.
struct SavedBucket {
  int64_t offset = 0;  // of the bucket header
  int16_t collnum = 0;
  int32_t num_keys = 0, sorted = 0, end_key_offset = 0;
  size_t first_record = 0;
};

struct SavedTree {
  std::string file;
  SavedTreeKind kind = SavedTreeKind::kTree;
  int key_size = 0;
  int32_t expected_fixed_data_size = kAnyFixedDataSize;
  uint64_t size = 0;  // bytes in the file
  bool empty_file = false;
  TreeHeader tree;
  BucketsHeader buckets;
  bool header_ok = false;
  // In the order Gigablast keeps them: RdbTree in-order from the head node (when the links
  // allow, else node order), RdbBuckets bucket by bucket as stored.
  std::vector<SavedTreeRecord> records;
  std::vector<uint8_t> keys;  // records.size() * key_size bytes, record i at i * key_size
  std::vector<SavedBucket> bucket_list;  // RdbBuckets only, in file order
  int64_t positive = 0, negative = 0;
  uint64_t consumed = 0;  // bytes accounted for
  bool decoded_completely = false;
  // False when an RdbTree's links do not form a tree: records are then in node order and their
  // order is not checked.
  bool in_tree_order = true;
  std::vector<Finding> findings;               // listed: at most 20 per rule
  std::map<std::string, int64_t> rule_counts;  // exact
  int64_t error_count = 0, notice_count = 0;   // exact

  const uint8_t* key(size_t i) const { return keys.data() + i * static_cast<size_t>(key_size); }
};

// Parses a saved tree of `kind` whose keys are `key_size` bytes (12..28). Never fails: defects are
// findings (V1 truncated, V2 bad header, V3 trailing bytes, V4 structure and counts, V5 order).
// `file` names the file in the findings. `fixed_data_size`: the Rdb's (0, -1 or N; a header that
// says otherwise is V2, as Gigablast's loader refuses it), or kAnyFixedDataSize.
SavedTree ParseSavedTree(std::string_view bytes, SavedTreeKind kind, int key_size,
                         const std::string& file, int32_t fixed_data_size = kAnyFixedDataSize);

// The two parsers (saved_rdbtree.cc, saved_buckets.cc) and the order rule (saved_tree_order.cc).
void ParseRdbTree(std::string_view bytes, SavedTree* t);
void ParseRdbBuckets(std::string_view bytes, SavedTree* t);
void CheckSavedTreeOrder(SavedTree* t);

}  // namespace shardtool
