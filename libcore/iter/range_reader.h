// RangeReader: the records of one data file whose keys lie in [a, b], found through the page map
// (doc/format.md §5.3 with shardtool's start = getPage(a-1), so duplicate keys across a page
// boundary are never skipped). Same iterator contract as RecordScanner; keys outside [a, b] in the
// decoded pages are skipped.
#pragma once

#include <memory>

#include "iter/data_file.h"
#include "iter/record_scanner.h"

namespace shardtool {

class RangeReader {
 public:
  // REQUIRES: file.map is present. a <= b.
  RangeReader(const DataFile& file, const Key& a, const Key& b);

  void SeekToStart();
  bool Valid() const { return scanner_ && scanner_->Valid(); }
  void Next();
  const Record& record() const { return scanner_->record(); }
  uint64_t offset() const { return scanner_->offset(); }
  const Status& status() const { return scanner_ ? scanner_->status() : status_; }
  // The byte span the reader decodes.
  uint64_t span_start() const { return start_; }
  uint64_t span_end() const { return end_; }

 private:
  void SkipOutside();
  const DataFile& file_;
  Key a_, b_;
  uint64_t start_ = 0, end_ = 0;
  const uint8_t* seed_ = nullptr;
  std::unique_ptr<RecordScanner> scanner_;
  Status status_;
};

}  // namespace shardtool
