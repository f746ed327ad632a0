#include "iter/record_scanner.h"

#include <algorithm>
#include <cstring>

namespace shardtool {

RecordScanner::RecordScanner(BigFile* file, const RdbInfo& rdb, Options options)
    : file_(file), decoder_(rdb), opt_(options) {
  end_ = std::min<uint64_t>(opt_.end, file_->logical_size());
}

void RecordScanner::SeekToStart() {
  status_ = Status::Ok();
  failed_rule_.clear();
  valid_ = false;
  if (opt_.seed_key != nullptr) {
    decoder_.SeedFromPageKey(opt_.seed_key);
  } else {
    decoder_.Reset();
  }
  buf_offset_ = opt_.start;
  observed_ = opt_.start;
  pos_ = len_ = 0;
  if (buf_.size() < opt_.buffer_size) buf_.resize(opt_.buffer_size);
  valid_ = true;
  Advance();
}

void RecordScanner::Observe() {
  const uint64_t upto = buf_offset_ + pos_;
  if (opt_.on_consumed && upto > observed_) {
    opt_.on_consumed(buf_.data() + (observed_ - buf_offset_), static_cast<size_t>(upto - observed_),
                     observed_);
  }
  observed_ = upto;
}

void RecordScanner::Fail(const std::string& rule, const std::string& what) {
  Observe();
  valid_ = false;
  failed_rule_ = rule;
  std::string msg = file_->path() + ": offset " + std::to_string(offset()) + ": " + what;
  if (!rule.empty()) msg += " (" + rule + ")";
  status_ = CorruptionStatus(std::move(msg));
}

bool RecordScanner::Refill() {
  // Move the unconsumed tail to the front, then fill the rest of the buffer.
  Observe();
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
    len_ -= pos_;
    buf_offset_ += pos_;
    pos_ = 0;
  }
  const uint64_t file_pos = buf_offset_ + len_;
  if (file_pos >= end_) return false;
  if (len_ == buf_.size()) {
    // One record larger than the buffer: grow (the decoder bounds a record's size).
    buf_.resize(buf_.size() * 2);
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size() - len_, end_ - file_pos));
  Status s = file_->Read(file_pos, want, buf_.data() + len_);
  if (!s.ok()) {
    valid_ = false;
    failed_rule_.clear();
    status_ = s;
    return false;
  }
  bytes_read_ += want;
  len_ += want;
  return true;
}

void RecordScanner::AdvanceSlow(DecodeStatus ds) {
  while (true) {
    if (ds == DecodeStatus::kOk) return;
    if (ds == DecodeStatus::kBadDataSize) {
      Fail("L3", "bad data size field");
      return;
    }
    if (ds == DecodeStatus::kNoState) {
      Fail("L1", "a compressed key with no full key before it");
      return;
    }
    // kTruncated: need more bytes.
    if (!Refill()) {
      if (!status_.ok()) return;  // I/O error
      if (pos_ == len_) {
        Observe();
        valid_ = false;  // clean end of the range
        return;
      }
      Fail("L2",
           "record runs past the end of the data (" + std::to_string(len_ - pos_) + " bytes left)");
      return;
    }
    ds = decoder_.Decode(buf_.data() + pos_, buf_.data() + len_, &rec_);
  }
}

}  // namespace shardtool
