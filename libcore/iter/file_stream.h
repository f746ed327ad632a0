// FileStream: the records of one data file as a merge input (a RecordStream), read in order
// through a refilled buffer from the start of the file, or from a key found through the file's map
// (doc/format.md §5.3 with shardtool's start = getPage(a-1), then records below the key skipped).
//
// Records are decoded ahead in batches of up to 64 into a small flat array (full keys copied
// out of the decoder, data pointing into the buffer), so that a k-way merge, which takes its next
// record from an unpredictable input, pays the decoder's work in tight per-input loops and only
// reads flat keys while it compares. record() (and the data it points to) stays valid until the
// next Next() or Seek(): the buffer is refilled only after a batch is used up.
//
// FileStreamT<KS, C, D> is compiled for one Rdb layout (key size, key compression, data form as
// VisitRdbLayout gives them); FileStream (KS 0, D -1) decodes with the run-time dispatch and works
// for any Rdb.
//
// With a checksum sidecar (FileStreamT's `sidecar`), every block read is checked against it before
// any of its records is decoded (PageCrcCheck): reads end on page boundaries and start on one (the
// page holding the first record wanted), and a page whose CRC differs fails the stream with
// Corruption (C4) naming the file and offset.
//
// Headless files (parts 0..h-1 unlinked by an earlier merge's chopHead): reading starts at the
// first record of the first present part. A Seek whose records may start in a missing part fails
// with Corruption rather than skipping records silently.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "format/page_crc_check.h"
#include "format/record_decoder_inl.h"
#include "iter/data_file.h"
#include "iter/merging_iterator.h"

namespace shardtool {

// A merge input that knows where it is in its file.
class PositionedStream : public RecordStream {
 public:
  // Logical offset of the current record (the end of the readable data when exhausted).
  virtual uint64_t offset() const = 0;
  // Bytes read from the file so far (rate limiting, progress).
  virtual uint64_t bytes_read() const = 0;
};

// Where reading for keys >= target starts in `file`: the logical offset of a record start and the
// full key of that record (nullptr at offset 0). See the comment atop the file.
Result<std::pair<uint64_t, const uint8_t*>> SeekStart(const DataFile& file, const uint8_t* target);

template <int KS, KeyCompression C, int D>
class FileStreamT final : public PositionedStream {
 public:
  // REQUIRES: file (and sidecar, when given) outlive the stream; the sidecar covers the file's
  // logical size.
  FileStreamT(const DataFile* file, size_t buffer_size, const CrcSidecar* sidecar = nullptr)
      : file_(file), dec_(*file->rdb), ks_(file->rdb->key_size) {
    if (sidecar != nullptr) check_ = PageCrcCheck(sidecar, file->big->path());
    buf_.resize(std::max<size_t>(buffer_size, 4096));
  }

  void SeekToFirst() override {
    auto first = file_->FirstReadable();
    if (!first.ok()) return Fail(first.status());
    Open(first->first, first->second);
  }
  void Seek(const uint8_t* target) override {
    auto start = SeekStart(*file_, target);
    if (!start.ok()) return Fail(start.status());
    Open(start->first, start->second);
    while (Valid() && CompareKeys(record().key, target, ks_) < 0) Next();
  }
  bool Valid() const override { return i_ < n_; }
  void Next() override {
    if (++i_ < n_) return;
    Fill();
  }
  const Record& record() const override { return recs_[i_]; }
  const Status& status() const override { return status_; }
  uint64_t offset() const override { return i_ < n_ ? offs_[i_] : buf_off_ + pos_; }
  uint64_t bytes_read() const override { return bytes_read_; }

 private:
  static constexpr int kBatch = 64;
  static constexpr int kKeyStride = KS > 0 ? KS : kMaxKeySize;

  void Open(uint64_t start, const uint8_t* seed) {
    status_ = Status::Ok();
    if (seed != nullptr) {
      dec_.SeedFromPageKey(seed);
    } else {
      dec_.Reset();
    }
    buf_off_ = start;
    pos_ = len_ = 0;
    skip_ = 0;
    end_ = file_->big->logical_size();
    if (check_.active() && check_.PageFloor(start) >= file_->big->first_offset()) {
      // Read from the start of the page, so that it is checked too.
      buf_off_ = check_.PageFloor(start);
      skip_ = static_cast<size_t>(start - buf_off_);
    }
    Fill();
  }
  void Fail(Status s) {
    status_ = std::move(s);
    i_ = n_ = 0;
  }
  DecodeStatus DecodeOne(const uint8_t* p, const uint8_t* end, Record* r) {
    if constexpr (D < 0) {
      return dec_.Decode(p, end, r);
    } else {
      return dec_.template DecodeAs<C, D>(p, end, r);
    }
  }
  // Decodes the next batch; refills the buffer when not even one record is in it.
  void Fill() {
    i_ = n_ = 0;
    while (true) {
      const uint8_t* base = buf_.data();
      const uint8_t* end = base + len_;
      DecodeStatus ds = DecodeStatus::kTruncated;
      int n = 0;
      while (n < kBatch && pos_ < len_) {
        Record& r = recs_[n];
        ds = DecodeOne(base + pos_, end, &r);
        if (ds != DecodeStatus::kOk) break;
        uint8_t* k = keys_ + n * kKeyStride;
        if constexpr (KS > 0) {
          CopyKeyT<KS>(k, r.key);
        } else {
          std::memcpy(k, r.key, static_cast<size_t>(ks_));
        }
        r.key = k;
        offs_[n] = buf_off_ + pos_;
        pos_ += r.size;
        n++;
      }
      if (n > 0) {
        n_ = n;
        return;
      }
      if (pos_ < len_ && ds != DecodeStatus::kTruncated) return DecodeFailure(ds);
      if (!Refill()) return;
    }
  }
  // Keeps the partial record, reads more. False at the end (clean or torn) or on an error.
  bool Refill() {
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
      len_ -= pos_;
      buf_off_ += pos_;
      pos_ = 0;
    }
    const uint64_t file_pos = buf_off_ + len_;
    if (file_pos >= end_) {
      if (len_ > 0) DecodeFailure(DecodeStatus::kTruncated);  // a torn last record
      return false;
    }
    if (len_ == buf_.size()) buf_.resize(buf_.size() * 2);  // one record larger than the buffer
    uint64_t stop = std::min<uint64_t>(file_pos + (buf_.size() - len_), end_);
    if (check_.active()) {
      // Whole pages only (the buffer grows when it cannot hold the rest of one).
      while ((stop = check_.AlignedEnd(stop, end_)) <= file_pos) {
        buf_.resize(buf_.size() + check_.page_size());
        stop = std::min<uint64_t>(file_pos + (buf_.size() - len_), end_);
      }
    }
    const size_t want = static_cast<size_t>(stop - file_pos);
    Status s = file_->big->Read(file_pos, want, buf_.data() + len_);
    if (s.ok()) s = check_.Feed(file_pos, buf_.data() + len_, want);
    if (!s.ok()) {
      Fail(std::move(s));
      return false;
    }
    bytes_read_ += want;
    len_ += want;
    if (skip_ > 0) {
      pos_ = skip_;  // the bytes of the first page before the first record wanted
      skip_ = 0;
    }
    return true;
  }
  void DecodeFailure(DecodeStatus ds) {
    const uint64_t at = buf_off_ + pos_;
    Fail(CorruptionStatus(file_->big->path() + ": offset " + std::to_string(at) + ": " +
                          (ds == DecodeStatus::kTruncated ? "record runs past the end of the data"
                           : ds == DecodeStatus::kBadDataSize
                               ? "bad data size field"
                               : "a compressed key with no full key before it") +
                          " (" + std::string(DecodeStatusRule(ds)) + ")"));
  }

  const DataFile* file_;
  RecordDecoder dec_;
  int ks_;
  std::vector<uint8_t> buf_;
  uint64_t buf_off_ = 0;  // logical offset of buf_[0]
  size_t pos_ = 0, len_ = 0;
  uint64_t end_ = 0;
  uint64_t bytes_read_ = 0;
  size_t skip_ = 0;  // bytes of the first read that precede the first record (a page start)
  PageCrcCheck check_;
  int i_ = 0, n_ = 0;  // the batch: current entry and size
  Record recs_[kBatch];
  uint64_t offs_[kBatch];
  alignas(8) uint8_t keys_[kBatch * kKeyStride];
  Status status_;
};

using FileStream = FileStreamT<0, KeyCompression::kNone, -1>;

}  // namespace shardtool
