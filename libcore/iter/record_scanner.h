// RecordScanner: reads the records of a data file in order, from its start (or a page start given
// by the map) to its end, through a refilled buffer (1 MiB by default), leveldb-style:
//
//   RecordScanner s(file, rdb, opts);
//   for (s.SeekToStart(); s.Valid(); s.Next()) use(s.record(), s.offset());
//   if (!s.status().ok()) ...   // sticky; names the file, offset and rule (L1, L2, L3)
//
// record() and its key are valid until the next Next(). Memory is the buffer, grown only for a
// single record larger than it (bounded by the decoder's max data size, Msg3's 500 MB rule).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "format/big_file.h"
#include "format/record_codec.h"
#include "format/record_decoder_inl.h"

namespace shardtool {

class RecordScanner {
 public:
  struct Options {
    size_t buffer_size = size_t{1} << 20;
    // Logical byte range to decode. end = UINT64_MAX means the file's logical size.
    uint64_t start = 0;
    uint64_t end = UINT64_MAX;
    // When start is not the start of the file: the full key of the record that starts there
    // (the map's page key). nullptr with start 0 = decode from the beginning (L1 applies).
    const uint8_t* seed_key = nullptr;
    // Called with the stored bytes of whole records as they are consumed, in order and in large
    // chunks (before the buffer is refilled, and at the end): [offset, offset + n). Checksums
    // over the data use it instead of per-record work.
    std::function<void(const uint8_t* p, size_t n, uint64_t offset)> on_consumed;
  };

  RecordScanner(BigFile* file, const RdbInfo& rdb, Options options);

  // Positions at the first record of the range.
  void SeekToStart();

  // The whole range in one call, with the decoder inlined for the Rdb's layout (C, D as given by
  // VisitRdbLayout): fn(const Record&, uint64_t offset) is called for each record in order and
  // returns false to stop. Afterwards status() tells how the scan ended, as with Next().
  // REQUIRES: C and D match the Rdb.
  template <KeyCompression C, int D, typename Fn>
  void ScanAll(Fn&& fn) {
    SeekToStart();
    while (valid_) {
      if (!fn(rec_, buf_offset_ + pos_)) return;
      pos_ += rec_.size;
      const uint8_t* base = buf_.data();
      const uint8_t* end = base + len_;
      DecodeStatus ds = DecodeStatus::kTruncated;
      while (pos_ < len_ && (ds = decoder_.template DecodeAs<C, D>(base + pos_, end, &rec_)) ==
                                DecodeStatus::kOk) {
        if (!fn(rec_, buf_offset_ + pos_)) return;
        pos_ += rec_.size;
      }
      if (pos_ >= len_) ds = DecodeStatus::kTruncated;
      AdvanceSlow(ds);  // refill and decode the next record, or end / fail
    }
  }
  bool Valid() const { return valid_; }
  void Next() {
    pos_ += rec_.size;
    Advance();
  }
  // Next() with the decoder inlined for the Rdb's layout (merge inputs). REQUIRES: C and D match
  // the Rdb.
  template <KeyCompression C, int D>
  void NextAs() {
    pos_ += rec_.size;
    if (pos_ < len_) {
      const DecodeStatus ds =
          decoder_.template DecodeAs<C, D>(buf_.data() + pos_, buf_.data() + len_, &rec_);
      if (ds == DecodeStatus::kOk) return;
      AdvanceSlow(ds);
      return;
    }
    AdvanceSlow(DecodeStatus::kTruncated);
  }
  const Record& record() const { return rec_; }
  // The current record's stored bytes (record().size of them), valid until the next Next().
  const uint8_t* raw() const { return buf_.data() + pos_; }
  // Logical offset of the current record.
  uint64_t offset() const { return buf_offset_ + pos_; }
  // Logical offset just past the last whole record decoded (where a failed scan stopped).
  uint64_t consumed() const { return buf_offset_ + pos_; }
  const Status& status() const { return status_; }
  // Rule id of the failure ("L1", "L2", "L3", or "" for an I/O error), when !status().ok().
  const std::string& failed_rule() const { return failed_rule_; }
  // Bytes read from the file so far.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  // Decodes the record at pos_, refilling as needed; sets valid_/status_.
  void Advance() {
    if (pos_ < len_) {
      DecodeStatus ds = decoder_.Decode(buf_.data() + pos_, buf_.data() + len_, &rec_);
      if (ds == DecodeStatus::kOk) return;
      AdvanceSlow(ds);
      return;
    }
    AdvanceSlow(DecodeStatus::kTruncated);
  }
  void AdvanceSlow(DecodeStatus first);
  bool Refill();  // keeps [pos_, len_), reads more; false at the range end or on error
  void Fail(const std::string& rule, const std::string& what);
  void Observe();  // reports consumed bytes not yet reported to on_consumed

  BigFile* file_;
  RecordDecoder decoder_;
  Options opt_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t buf_offset_ = 0;  // logical offset of buf_[0]
  uint64_t end_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t observed_ = 0;  // logical offset up to which on_consumed has been called
  Record rec_;
  bool valid_ = false;
  Status status_;
  std::string failed_rule_;
};

}  // namespace shardtool
