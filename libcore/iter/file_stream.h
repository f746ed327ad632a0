// FileStream: the records of one data file as a merge input (a RecordStream), read in order
// through a refilled buffer from the start of the file, or from a key found through the file's map
// (FORMAT.md §5.3 with shardtool's start = getPage(a-1), then records below the key skipped).
//
// FileStreamT<C, D> inlines the decoder for the Rdb's layout (C, D as VisitRdbLayout gives them);
// FileStream (D = -1) decodes with the run-time dispatch and works for any Rdb.
//
// Headless files (parts 0..h-1 unlinked by an earlier merge's chopHead): reading starts at the
// first record of the first present part. A Seek whose records may start in a missing part fails
// with Corruption rather than skipping records silently.
#pragma once

#include <cstdint>
#include <memory>

#include "iter/data_file.h"
#include "iter/merging_iterator.h"
#include "iter/record_scanner.h"

namespace shardtool {

// A merge input that knows where it is in its file.
class PositionedStream : public RecordStream {
 public:
  // Logical offset of the current record (the end of the readable data when exhausted).
  virtual uint64_t offset() const = 0;
  // Bytes read from the file so far (rate limiting, progress).
  virtual uint64_t bytes_read() const = 0;
};

template <KeyCompression C, int D>
class FileStreamT final : public PositionedStream {
 public:
  // REQUIRES: file outlives the stream.
  FileStreamT(const DataFile* file, size_t buffer_size) : file_(file), buffer_size_(buffer_size) {}

  void SeekToFirst() override {
    auto first = file_->FirstReadable();
    if (!first.ok()) return Fail(first.status());
    Open(first->first, first->second);
  }

  void Seek(const uint8_t* target) override {
    const int ks = file_->rdb->key_size;
    if (!file_->map) {
      if (file_->big->headless()) return Fail(file_->map_status);
      Open(0, nullptr);
    } else {
      const PageMap& map = *file_->map;
      const PageMap::Span span = map.RangeSpan(target, Key::Max(ks).data());
      const uint64_t start = static_cast<uint64_t>(span.start);
      if (start >= file_->big->logical_size()) {
        Open(file_->big->logical_size(), nullptr);
      } else if (start < file_->big->first_offset()) {
        // The span begins in a removed part: only acceptable when the first present record is
        // at or below the target, so that no record >= target can lie in the removed parts.
        auto first = file_->FirstReadable();
        if (!first.ok()) return Fail(first.status());
        if (first->second != nullptr && CompareKeys(first->second, target, ks) > 0) {
          return Fail(CorruptionStatus(file_->big->path() + ": records at or after key " +
                                       KeyHex(target, ks) + " may lie in removed parts (D7)"));
        }
        Open(first->first, first->second);
      } else {
        Open(start, start == 0 ? nullptr : map.page_key(span.start_page));
      }
    }
    while (Valid() && CompareKeys(scanner_->record().key, target, ks) < 0) Next();
  }

  bool Valid() const override { return scanner_ != nullptr && scanner_->Valid(); }
  void Next() override {
    if constexpr (D < 0) {
      scanner_->Next();
    } else {
      scanner_->template NextAs<C, D>();
    }
  }
  const Record& record() const override { return scanner_->record(); }
  const Status& status() const override { return scanner_ ? scanner_->status() : status_; }

  uint64_t offset() const override {
    return scanner_ ? scanner_->consumed() : file_->big->logical_size();
  }
  uint64_t bytes_read() const override {
    return (scanner_ ? scanner_->bytes_read() : 0) + read_before_;
  }
  const DataFile& file() const { return *file_; }

 private:
  void Open(uint64_t start, const uint8_t* seed) {
    if (scanner_) read_before_ += scanner_->bytes_read();
    RecordScanner::Options o;
    o.buffer_size = buffer_size_;
    o.start = start;
    o.seed_key = seed;
    scanner_ = std::make_unique<RecordScanner>(file_->big.get(), *file_->rdb, o);
    scanner_->SeekToStart();
  }
  void Fail(Status s) {
    scanner_.reset();
    status_ = std::move(s);
  }

  const DataFile* file_;
  size_t buffer_size_;
  std::unique_ptr<RecordScanner> scanner_;
  Status status_;
  uint64_t read_before_ = 0;
};

using FileStream = FileStreamT<KeyCompression::kNone, -1>;

}  // namespace shardtool
