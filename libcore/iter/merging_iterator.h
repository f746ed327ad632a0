// MergingIterator: the k-way merge of sorted record streams that Gigablast's RdbMerge performs
// (doc/format.md §8.2): records come out in key order under cmpNegEq (keys compared ignoring the
// delbit, and posdb's compression bits), and of the records that share a key only one survives —
// the one from the NEWEST input (the highest input index; inputs are given oldest first), whether
// it is positive or negative. Within one input, the first record of a key in file order is that
// input's version (Gigablast never writes two versions of a key into one file, rules L5 and L6).
// The other versions are skipped and counted as shadowed().
//
// Ordering is a loser tree over the inputs' current records: each Next() replays one leaf-to-root
// path (log2 k compares), so a merge of n records costs n log k compares whatever k is (k may be 50
// or more). Iterator contract as leveldb's: Valid(), Seek(), Next(), key(), record(), and a sticky
// status() checked after the loop; record() and key() are valid until the next Next() or Seek().
//
// Order check: the surviving keys strictly increase under cmpNegEq. If an input goes backwards so
// that the next survivor would sort before the previous one, the iterator stops with Corruption
// (L4) naming the input index; the output of a merge is therefore always sorted.
//
// The class is a template over the key size (word compares unroll) and the stream type: the job
// instantiates it with its concrete final stream classes so that per-record calls are inlined;
// MergingIterator over RecordStream* is the general, virtual form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/coding.h"
#include "base/status.h"
#include "format/key.h"
#include "format/record_codec.h"

namespace shardtool {

// One sorted input of a merge, leveldb-style. record().key is a full key (compression bits clear).
class RecordStream {
 public:
  virtual ~RecordStream() = default;
  // Positions at the first record.
  virtual void SeekToFirst() = 0;
  // Positions at the first record whose full key is >= target (plain key order, delbit included).
  virtual void Seek(const uint8_t* target) = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  // REQUIRES: Valid(). Valid until the next Next() or Seek().
  virtual const Record& record() const = 0;
  // Sticky: non-Ok once the stream failed (it is then not Valid()).
  virtual const Status& status() const = 0;
};

// cmpNegEq for a key size known at compile time: <0, 0, >0, comparing from the most significant
// byte with byte 0 masked (0xfe, or 0xf8 for posdb's 18-byte keys).
template <int KS>
inline int CompareKeysNegEqT(const uint8_t* a, const uint8_t* b) {
  constexpr int kTail = KS % 8;
  if constexpr (kTail == 2) {
    const uint16_t x = LoadLE16(a + KS - 2), y = LoadLE16(b + KS - 2);
    if (x != y) return x < y ? -1 : 1;
  } else if constexpr (kTail == 4) {
    const uint32_t x = LoadLE32(a + KS - 4), y = LoadLE32(b + KS - 4);
    if (x != y) return x < y ? -1 : 1;
  } else {
    static_assert(kTail == 0, "key sizes are 12, 16, 18, 24 or 28");
  }
  for (int off = KS - kTail - 8; off >= 8; off -= 8) {
    const uint64_t x = LoadLE64(a + off), y = LoadLE64(b + off);
    if (x != y) return x < y ? -1 : 1;
  }
  constexpr uint64_t kMask = ~uint64_t{KS == 18 ? 0x07 : 0x01};
  const uint64_t x = LoadLE64(a) & kMask, y = LoadLE64(b) & kMask;
  return x == y ? 0 : (x < y ? -1 : 1);
}

// a < b under cmpNegEq, with `tie` as the answer for the same key, computed without branches
// (the winner of a merge's compare is unpredictable; a branch on it mispredicts half the time).
template <int KS>
inline bool KeyLessNegEqT(const uint8_t* a, const uint8_t* b, bool tie) {
  constexpr int kTail = KS % 8;
  constexpr uint64_t kMask = ~uint64_t{KS == 18 ? 0x07 : 0x01};
  // From the least significant word up: lt = (x < y) | (x == y & lt).
  uint64_t x = LoadLE64(a) & kMask, y = LoadLE64(b) & kMask;
  bool lt = (x < y) | ((x == y) & tie);
  for (int off = 8; off + 8 <= KS; off += 8) {
    x = LoadLE64(a + off);
    y = LoadLE64(b + off);
    lt = (x < y) | ((x == y) & lt);
  }
  if constexpr (kTail == 2) {
    const uint16_t u = LoadLE16(a + KS - 2), v = LoadLE16(b + KS - 2);
    lt = (u < v) | ((u == v) & lt);
  } else if constexpr (kTail == 4) {
    const uint32_t u = LoadLE32(a + KS - 4), v = LoadLE32(b + KS - 4);
    lt = (u < v) | ((u == v) & lt);
  }
  return lt;
}

template <int KS, typename Stream = RecordStream>
class MergingIteratorT {
 public:
  // inputs: oldest first (index 0 is the oldest). Not owned; they must outlive the iterator.
  explicit MergingIteratorT(std::vector<Stream*> inputs) : inputs_(std::move(inputs)) {
    cap_ = 2;
    while (cap_ < static_cast<int>(inputs_.size())) cap_ *= 2;
    keys_.assign(static_cast<size_t>(cap_), kSentinel);
    done_.assign(static_cast<size_t>(cap_), 1);
    tree_.assign(static_cast<size_t>(cap_), 0);
  }

  // Positions every input at its first record and builds the merge.
  void SeekToFirst() {
    for (Stream* s : inputs_) s->SeekToFirst();
    Start();
  }
  // Positions every input at its first key >= target and builds the merge.
  void Seek(const uint8_t* target) {
    for (Stream* s : inputs_) s->Seek(target);
    Start();
  }
  // Builds the merge from the inputs' current positions (inputs positioned by their owner).
  void Start() {
    status_ = Status::Ok();
    for (size_t i = 0; i < inputs_.size(); i++) {
      SetLeaf(static_cast<int>(i));
      if (!status_.ok()) break;
    }
    std::vector<int> win(static_cast<size_t>(2 * cap_));
    for (int i = 0; i < cap_; i++) win[static_cast<size_t>(cap_ + i)] = i;
    for (int n = cap_ - 1; n >= 1; n--) {
      const int l = win[static_cast<size_t>(2 * n)], r = win[static_cast<size_t>(2 * n + 1)];
      if (Less(l, r)) {
        tree_[static_cast<size_t>(n)] = r;
        win[static_cast<size_t>(n)] = l;
      } else {
        tree_[static_cast<size_t>(n)] = l;
        win[static_cast<size_t>(n)] = r;
      }
    }
    winner_ = win[1];
    valid_ = status_.ok() && !done_[static_cast<size_t>(winner_)];
  }

  bool Valid() const { return valid_; }
  // Moves past every version of the current key. REQUIRES: Valid().
  void Next() {
    CopyKeyT<KS>(cur_, keys_[static_cast<size_t>(winner_)]);
    Advance(winner_);
    while (status_.ok()) {
      if (done_[static_cast<size_t>(winner_)]) break;
      const uint8_t* k = keys_[static_cast<size_t>(winner_)];
      const int c = CompareKeysNegEqT<KS>(k, cur_);
      if (c > 0) break;
      if (c < 0) {
        status_ =
            CorruptionStatus("merge input " + std::to_string(winner_) + ": key " + KeyHex(k, KS) +
                             " follows " + KeyHex(cur_, KS) + ": keys out of order (L4)")
                .With("input", static_cast<int64_t>(winner_));
        break;
      }
      shadowed_++;  // an older version (or a repeat within one input) of the key just passed
      Advance(winner_);
    }
    valid_ = status_.ok() && !done_[static_cast<size_t>(winner_)];
  }

  // REQUIRES: Valid().
  const Record& record() const { return inputs_[static_cast<size_t>(winner_)]->record(); }
  const uint8_t* key() const { return keys_[static_cast<size_t>(winner_)]; }
  // Index of the input the current record comes from.
  size_t source() const { return static_cast<size_t>(winner_); }
  // Versions skipped so far because a newer one of the same key survived.
  uint64_t shadowed() const { return shadowed_; }
  const Status& status() const { return status_; }
  size_t num_inputs() const { return inputs_.size(); }
  Stream* input(size_t i) const { return inputs_[i]; }

 private:
  // Takes input i's current key, or marks the leaf done when it is exhausted (a failure sets
  // status_).
  void SetLeaf(int i) {
    Stream* s = inputs_[static_cast<size_t>(i)];
    if (s->Valid()) {
      keys_[static_cast<size_t>(i)] = s->record().key;
      done_[static_cast<size_t>(i)] = 0;
      return;
    }
    keys_[static_cast<size_t>(i)] = kSentinel;
    done_[static_cast<size_t>(i)] = 1;
    if (!s->status().ok() && status_.ok()) {
      status_ = s->status();
      status_.With("input", static_cast<int64_t>(i));
    }
  }
  // Leaf a orders before leaf b: smaller key, or the same key from a newer input. Done leaves
  // (and the padding leaves past the inputs) order last. No branch on the outcome.
  bool Less(int a, int b) const {
    const bool lt =
        KeyLessNegEqT<KS>(keys_[static_cast<size_t>(a)], keys_[static_cast<size_t>(b)], a > b);
    const unsigned a_live = done_[static_cast<size_t>(a)] == 0 ? 1U : 0U;
    const unsigned b_done = done_[static_cast<size_t>(b)] != 0 ? 1U : 0U;
    return (a_live & (b_done | static_cast<unsigned>(lt))) != 0;
  }
  void Advance(int leaf) {
    inputs_[static_cast<size_t>(leaf)]->Next();
    SetLeaf(leaf);
    // Replay the path from the leaf to the root: at each node the loser stays. Selected with
    // masks, so that the unpredictable outcome costs no branch.
    int w = leaf;
    for (int n = (leaf + cap_) >> 1; n >= 1; n >>= 1) {
      const int l = tree_[static_cast<size_t>(n)];
      const int m = -static_cast<int>(Less(l, w));  // all ones: l wins and w stays here
      tree_[static_cast<size_t>(n)] = (w & m) | (l & ~m);
      w = (l & m) | (w & ~m);
    }
    winner_ = w;
  }

  // The key of done leaves: never compared by its value (done_ decides first).
  static constexpr uint8_t kSentinel[kMaxKeySize] = {};

  std::vector<Stream*> inputs_;
  int cap_ = 2;                       // leaves: a power of two >= the number of inputs
  std::vector<const uint8_t*> keys_;  // per leaf: current full key (kSentinel when done)
  std::vector<uint8_t> done_;         // per leaf: 1 when exhausted (or padding)
  std::vector<int> tree_;             // tree_[n], n in 1..cap_-1: the loser at node n
  int winner_ = 0;
  bool valid_ = false;
  uint64_t shadowed_ = 0;
  Status status_;
  uint8_t cur_[kMaxKeySize] = {};
};

// The general form over virtual streams, for any key size (the Rdb's); tests and tools use it.
class MergingIterator {
 public:
  MergingIterator(std::vector<RecordStream*> inputs, int key_size);
  ~MergingIterator();
  MergingIterator(const MergingIterator&) = delete;
  MergingIterator& operator=(const MergingIterator&) = delete;

  void SeekToFirst();
  void Seek(const uint8_t* target);
  void Start();
  bool Valid() const;
  void Next();
  const Record& record() const;
  const uint8_t* key() const { return record().key; }
  size_t source() const;
  uint64_t shadowed() const;
  const Status& status() const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace shardtool
