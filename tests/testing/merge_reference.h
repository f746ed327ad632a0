// Test helpers for merges: an in-memory RecordStream over a record list, and the brute-force
// reference merge of doc/format.md §8 that merge tests compare real merges with.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "format/rdb_registry.h"
#include "iter/merging_iterator.h"
#include "testing/record_lists.h"

namespace shardtool::testing {

// A RecordStream over a list in memory (the list must outlive the stream). Records are given
// as they are, so a test can feed unsorted lists or both twins of a key.
class VectorStream : public RecordStream {
 public:
  explicit VectorStream(const std::vector<TestRecord>* recs) : recs_(recs) {}
  void SeekToFirst() override { Set(0); }
  void Seek(const uint8_t* target) override;
  bool Valid() const override { return pos_ < recs_->size() && status_.ok(); }
  void Next() override { Set(pos_ + 1); }
  const Record& record() const override { return rec_; }
  const Status& status() const override { return status_; }
  // Fails with `s` when the stream reaches position `at` (error propagation tests).
  void FailAt(size_t at, Status s) {
    fail_at_ = at;
    fail_ = std::move(s);
  }

 private:
  void Set(size_t pos);
  const std::vector<TestRecord>* recs_;
  size_t pos_ = 0;
  Record rec_;
  Status status_;
  size_t fail_at_ = SIZE_MAX;
  Status fail_;
};

struct ReferenceOptions {
  bool drop_negatives = false;  // the merge includes the oldest file (§8.3)
  // Orphans: records for which `drop` returns true are left out (and returned in *dropped,
  // negatives included, before the negative rule applies).
  std::function<bool(const Key&)> drop;
};

// doc/format.md §8 by brute force: group every record of every input (oldest first) by cmpNegEq
// key, keep the version of the newest input (the first in file order within it), drop orphans, then
// drop surviving negatives when asked. Sorted by key.
std::vector<TestRecord> ReferenceMerge(const RdbInfo& rdb,
                                       const std::vector<std::vector<TestRecord>>& inputs,
                                       const ReferenceOptions& opt = {},
                                       std::vector<TestRecord>* dropped = nullptr);

}  // namespace shardtool::testing
