// RdbBuckets::fastSave's file (doc/format-notes.md "Saved trees"): nothing at all when the
// buckets hold no key, else a 37-byte header and the buckets, each a 14-byte header and its
// records (key, then for Rdbs with data a memory pointer and, if variable, an i32 data size).
#include <string>

#include "base/coding.h"
#include "format/key.h"
#include "format/saved_tree.h"
#include "format/saved_tree_internal.h"

namespace shardtool {
namespace {

using saved_tree_internal::Note;
using saved_tree_internal::Truncated;

constexpr int64_t kBucketsHeaderSize = 37;
constexpr int64_t kBucketHeaderSize = 14;
constexpr int32_t kBucketsSaveVersion = 0;
constexpr int32_t kGbBucketSize = 8192;

// The pointer width of the writer when rec_size fits the Rdb's layout, else 0.
int PointerWidth(const BucketsHeader& h, int ks) {
  if (h.fixed_data_size == 0) return h.rec_size == ks ? 8 : 0;
  const int64_t extra = int64_t{h.rec_size} - ks - (h.fixed_data_size == -1 ? 4 : 0);
  return extra == 4 || extra == 8 ? static_cast<int>(extra) : 0;
}

bool ReadBucketsHeader(const uint8_t* p, SavedTree* t) {
  BucketsHeader& h = t->buckets;
  h.version = LoadLEi32(p);
  h.num_buckets = LoadLEi32(p + 4);
  h.max_buckets = LoadLEi32(p + 8);
  h.key_size = p[12];
  h.fixed_data_size = LoadLEi32(p + 13);
  h.rec_size = LoadLEi32(p + 17);
  h.num_keys = LoadLEi32(p + 21);
  h.num_neg_keys = LoadLEi32(p + 25);
  h.data_mem = LoadLEi32(p + 29);
  h.bucket_size = LoadLEi32(p + 33);
  bool usable = true;
  auto bad = [&](int64_t off, const std::string& msg, bool fatal) {
    Note(t, "V2", Severity::kError, off, "", msg);
    if (fatal) usable = false;
  };
  if (h.version != kBucketsSaveVersion)
    bad(0, "save version " + std::to_string(h.version) + ", only 0 is known", true);
  if (h.key_size != t->key_size)
    bad(12,
        "key size " + std::to_string(h.key_size) + ", the Rdb's is " + std::to_string(t->key_size),
        true);
  if (h.fixed_data_size < -1)
    bad(13, "fixed data size " + std::to_string(h.fixed_data_size) + " is below -1", true);
  if (t->expected_fixed_data_size != kAnyFixedDataSize &&
      h.fixed_data_size != t->expected_fixed_data_size)
    bad(13,
        "fixed data size " + std::to_string(h.fixed_data_size) + ", the Rdb's is " +
            std::to_string(t->expected_fixed_data_size),
        true);
  if (usable && PointerWidth(h, t->key_size) == 0)
    bad(17,
        "record size " + std::to_string(h.rec_size) + " does not fit key size " +
            std::to_string(t->key_size) + " and fixed data size " +
            std::to_string(h.fixed_data_size),
        true);
  if (h.num_buckets < 0)
    bad(4, "bucket count " + std::to_string(h.num_buckets) + " is negative", true);
  if (h.num_buckets > h.max_buckets)
    bad(4,
        std::to_string(h.num_buckets) + " buckets, more than the table's " +
            std::to_string(h.max_buckets),
        false);
  if (h.bucket_size != kGbBucketSize)
    bad(33, "bucket size " + std::to_string(h.bucket_size) + ", Gigablast's is 8192", false);
  return usable;
}

}  // namespace

void ParseRdbBuckets(std::string_view bytes, SavedTree* t) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const int64_t size = static_cast<int64_t>(bytes.size());
  const int ks = t->key_size;
  if (size == 0) {  // Gigablast writes nothing for empty buckets
    t->empty_file = true;
    t->header_ok = true;
    t->decoded_completely = true;
    return;
  }
  if (size < int64_t{kBucketsHeaderSize}) {
    Truncated(t, 0, kBucketsHeaderSize, "the RdbBuckets header");
    return;
  }
  if (!ReadBucketsHeader(p, t)) return;
  t->header_ok = true;
  const BucketsHeader& h = t->buckets;
  const int ptr = PointerWidth(h, ks);
  int64_t off = kBucketsHeaderSize, stored = 0, negatives = 0;
  for (int32_t b = 0; b < h.num_buckets; b++) {
    if (off + kBucketHeaderSize > size) {
      Truncated(t, off, kBucketHeaderSize, "the header of bucket " + std::to_string(b));
      return;
    }
    const int16_t collnum = LoadLEi16(p + off);
    const int32_t num = LoadLEi32(p + off + 2), sorted = LoadLEi32(p + off + 6),
                  end_key = LoadLEi32(p + off + 10);
    const int64_t bucket_off = off;
    off += kBucketHeaderSize;
    if (num <= 0 || num > kGbBucketSize) {
      Note(t, "V4", Severity::kError, bucket_off, "",
           "bucket " + std::to_string(b) + " holds " + std::to_string(num) + " keys (1.." +
               std::to_string(kGbBucketSize) + ")");
      if (num < 0) return;  // nothing after it can be located
    }
    const int64_t bytes_needed = int64_t{num} * h.rec_size;
    if (off + bytes_needed > size) {
      Truncated(t, off, static_cast<uint64_t>(bytes_needed),
                "the " + std::to_string(num) + " records of bucket " + std::to_string(b));
      return;
    }
    if (sorted < 0 || sorted > num)
      Note(t, "V4", Severity::kError, bucket_off + 6, "",
           "bucket " + std::to_string(b) + ": sorted count " + std::to_string(sorted) +
               " outside 0.." + std::to_string(num));
    if (num > 0 && (end_key < 0 || end_key % h.rec_size != 0 || end_key >= bytes_needed))
      Note(t, "V4", Severity::kError, bucket_off + 10, "",
           "bucket " + std::to_string(b) + ": end key offset " + std::to_string(end_key) +
               " is not a record of the bucket");
    t->bucket_list.push_back({bucket_off, collnum, num, sorted, end_key, t->records.size()});
    for (int32_t i = 0; i < num; i++) {
      const int64_t rec = off + int64_t{i} * h.rec_size;
      SavedTreeRecord r;
      r.collnum = collnum;
      r.offset = rec;
      r.node = i;
      r.bucket = b;
      r.negative = KeyIsNegative(p + rec);
      if (h.fixed_data_size == -1) {
        r.data_size = LoadLEi32(p + rec + ks + ptr);
      } else {
        r.data_size = h.fixed_data_size;
      }
      negatives += r.negative;
      t->records.push_back(r);
      t->keys.insert(t->keys.end(), p + rec, p + rec + ks);
    }
    stored += num;
    off += bytes_needed;
  }
  t->consumed = static_cast<uint64_t>(off);
  t->decoded_completely = true;
  // Gigablast keeps these counts as it adds and sorts; a mismatch is worth a look, not an error.
  if (stored != h.num_keys)
    Note(t, "V4", Severity::kNotice, 21, "",
         "header counts " + std::to_string(h.num_keys) + " keys, the buckets hold " +
             std::to_string(stored));
  if (negatives != h.num_neg_keys)
    Note(t, "V4", Severity::kNotice, 25, "",
         "header counts " + std::to_string(h.num_neg_keys) + " negative keys, the buckets hold " +
             std::to_string(negatives));
}

}  // namespace shardtool
