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
//
// Damaged data left out (`merge --quarantine-bad`): with a DamageSink set, a page whose CRC differs
// (C4) or a record that does not decode (L1-L3, a torn last record) does not fail the stream.
// The bytes from the first record not yet given out up to where records start again — the first
// record start the page map gives in a page after the damaged one, or the end of the data — are
// handed to the sink, and reading goes on from there, the decoder seeded with that page's map key
// (as a Seek would). Where they resume depends only on the file and its map, so a rerun that reads
// the same stretch again leaves out the same bytes. Without a map the stream fails as it would
// without a sink.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <variant>
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

// Where a stream reports the damaged data it leaves out (see the comment atop the file).
class DamageSink {
 public:
  virtual ~DamageSink() = default;
  // Bytes [begin, end) of input `source`'s file are left out; `why` is the Corruption that caused
  // it (info "rule"). An error fails the stream.
  virtual Status LeaveOut(size_t source, uint64_t begin, uint64_t end, const Status& why) = 0;
};

// Where records start again after damage at logical offset `damaged` of `file`: the absolute
// offset of the first page after the damaged byte's page that has a record start (and that page's
// map key, to seed the decoder), or the end of the data (key nullptr). Corruption when the file
// has no map or the map names no offset past `damaged`.
Result<std::pair<uint64_t, const uint8_t*>> ResumeAfterDamage(const DataFile& file,
                                                              uint64_t damaged);

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
  // Leave damaged data out instead of failing (see the comment atop the file). REQUIRES: before
  // the first Seek; sink outlives the stream.
  void set_damage_sink(DamageSink* sink, size_t source) {
    damage_ = sink;
    source_ = source;
  }

 private:
  static constexpr int kBatch = 64;
  static constexpr int kKeyStride = KS > 0 ? KS : kMaxKeySize;

  void Open(uint64_t start, const uint8_t* seed) {
    status_ = Status::Ok();
    end_ = file_->big->logical_size();
    damaged_at_ = UINT64_MAX;
    Reposition(start, seed);
    Fill();
  }
  // Reading continues at record start `start` whose page's map key is `seed` (nullptr: none).
  void Reposition(uint64_t start, const uint8_t* seed) {
    if (seed != nullptr) {
      dec_.SeedFromPageKey(seed);
    } else {
      dec_.Reset();
    }
    buf_off_ = start;
    pos_ = len_ = 0;
    skip_ = 0;
    if (check_.active() && start < end_ && check_.PageFloor(start) >= file_->big->first_offset()) {
      // Read from the start of the page, so that it is checked too.
      buf_off_ = check_.PageFloor(start);
      skip_ = static_cast<size_t>(start - buf_off_);
    }
  }
  // Damage at `at` (the damaged page's start or the record that does not decode): the bytes from
  // `at` on are not decoded; the next Refill leaves them out. False: no sink, fail as before.
  bool MarkDamage(uint64_t at, Status why) {
    if (damage_ == nullptr) return false;
    damaged_at_ = at;
    damage_why_ = std::move(why);
    return true;
  }
  // Hands [first record not given out, where records resume) to the sink and repositions there.
  bool LeaveOutDamage() {
    const uint64_t begin = buf_off_ + skip_;
    Status why = std::move(damage_why_);
    const uint64_t at = damaged_at_;
    damaged_at_ = UINT64_MAX;
    auto next = ResumeAfterDamage(*file_, std::max(at, begin));
    if (!next.ok() || next->first <= begin) {
      Fail(std::move(why));  // nowhere to resume: as without a sink
      return false;
    }
    Status s = damage_->LeaveOut(source_, begin, next->first, why);
    if (!s.ok()) {
      Fail(std::move(s));
      return false;
    }
    Reposition(next->first, next->second);
    return true;
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
      if (pos_ < len_ && ds != DecodeStatus::kTruncated) {
        if (!MarkDamage(buf_off_ + pos_, DecodeError(ds))) return DecodeFailure(ds);
        len_ = pos_;  // not decoded past the damage
      }
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
    while (true) {  // once per damaged stretch left out
      uint64_t file_pos = buf_off_ + len_;
      if (file_pos == damaged_at_) {
        if (!LeaveOutDamage()) return false;
        file_pos = buf_off_;
      }
      if (file_pos >= end_) {
        if (len_ == 0) return false;
        // A torn last record.
        if (!MarkDamage(buf_off_, DecodeError(DecodeStatus::kTruncated))) {
          DecodeFailure(DecodeStatus::kTruncated);
          return false;
        }
        if (!LeaveOutDamage()) return false;
        continue;
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
      size_t want = static_cast<size_t>(stop - file_pos);
      Status s = file_->big->Read(file_pos, want, buf_.data() + len_);
      if (s.ok()) s = check_.Feed(file_pos, buf_.data() + len_, want);
      bytes_read_ += want;
      if (!s.ok()) {
        const uint64_t bad = DamagedPage(s);
        if (bad < file_pos || bad >= stop || !MarkDamage(bad, s)) {
          Fail(std::move(s));
          return false;
        }
        want = static_cast<size_t>(bad - file_pos);  // the pages before it passed
        if (want == 0) continue;                     // the damage starts here: leave it out now
      }
      len_ += want;
      if (skip_ > 0) {
        pos_ = skip_;  // the bytes of the first page before the first record wanted
        skip_ = 0;
      }
      return true;
    }
  }
  Status DecodeError(DecodeStatus ds) const {
    const uint64_t at = buf_off_ + pos_;
    return CorruptionStatus(file_->big->path() + ": offset " + std::to_string(at) + ": " +
                            (ds == DecodeStatus::kTruncated ? "record runs past the end of the data"
                             : ds == DecodeStatus::kBadDataSize
                                 ? "bad data size field"
                                 : "a compressed key with no full key before it") +
                            " (" + std::string(DecodeStatusRule(ds)) + ")")
        .With("offset", static_cast<int64_t>(at))
        .With("rule", std::string(DecodeStatusRule(ds)));
  }
  void DecodeFailure(DecodeStatus ds) { Fail(DecodeError(ds)); }
  // The first byte of the page a C4 failure names (UINT64_MAX for other failures).
  static uint64_t DamagedPage(const Status& s) {
    if (s.code() != ErrorCode::kCorruption) return UINT64_MAX;
    uint64_t offset = UINT64_MAX;
    bool c4 = false;
    for (const ErrorInfo& info : s.info()) {
      if (info.name == "offset" && std::holds_alternative<int64_t>(info.value)) {
        offset = static_cast<uint64_t>(std::get<int64_t>(info.value));
      } else if (info.name == "rule" && std::holds_alternative<std::string>(info.value)) {
        c4 = std::get<std::string>(info.value) == "C4";
      }
    }
    return c4 ? offset : UINT64_MAX;
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
  DamageSink* damage_ = nullptr;  // leave damaged data out (nullptr: fail)
  size_t source_ = 0;
  uint64_t damaged_at_ = UINT64_MAX;  // where decoding stops for damage left out at the next Refill
  Status damage_why_;
  int i_ = 0, n_ = 0;  // the batch: current entry and size
  Record recs_[kBatch];
  uint64_t offs_[kBatch];
  alignas(8) uint8_t keys_[kBatch * kKeyStride];
  Status status_;
};

using FileStream = FileStreamT<0, KeyCompression::kNone, -1>;

}  // namespace shardtool
