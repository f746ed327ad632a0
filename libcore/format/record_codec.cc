#include "format/record_codec.h"

#include <cstring>

#include "base/coding.h"
#include "format/record_decoder_inl.h"

namespace shardtool {
using codec_detail::kDataFixed;
using codec_detail::kDataNone;
using codec_detail::kDataVariable;
namespace {

int DataFormOf(const RdbInfo& rdb) {
  if (rdb.fixed_data_size < 0) return kDataVariable;
  return rdb.fixed_data_size == 0 ? kDataNone : kDataFixed;
}

// Compression bits of byte 0 per compression kind.
uint8_t CompressionBits(KeyCompression c) {
  switch (c) {
    case KeyCompression::kNone:
      return 0;
    case KeyCompression::kHalf:
      return 0x02;
    case KeyCompression::kPosdb:
      return 0x06;
  }
  return 0;
}

}  // namespace

std::string_view DecodeStatusRule(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk:
      return "";
    case DecodeStatus::kTruncated:
      return "L2";
    case DecodeStatus::kBadDataSize:
      return "L3";
    case DecodeStatus::kNoState:
      return "L1";
  }
  return "";
}

Finding DecodeFailureFinding(const RdbInfo& rdb, DecodeStatus s, const std::string& file,
                             int64_t offset) {
  std::string msg;
  switch (s) {
    case DecodeStatus::kOk:
      msg = "no failure";
      break;
    case DecodeStatus::kTruncated:
      msg = "record runs past the end of the data (torn or truncated)";
      break;
    case DecodeStatus::kBadDataSize:
      msg = "bad data size field";
      break;
    case DecodeStatus::kNoState:
      msg = "compressed key with no preceding full key";
      break;
  }
  const int64_t page = offset >= 0 ? offset / static_cast<int64_t>(rdb.page_size) : -1;
  return Finding{std::string(DecodeStatusRule(s)), Severity::kError, file, offset, page, "", msg};
}

RecordDecoder::RecordDecoder(const RdbInfo& rdb)
    : rdb_(&rdb),
      ks_(rdb.key_size),
      form_(static_cast<uint8_t>(3 * static_cast<int>(rdb.compression) + DataFormOf(rdb))) {}

void RecordDecoder::Reset() {
  have_state_ = false;
  std::memset(key_, 0, sizeof(key_));
}

void RecordDecoder::SeedFromPageKey(const uint8_t* page_key) {
  // hi and mid of §3 are bytes ks-6.. and 6..11 of the page's first full key: exactly key_.
  std::memcpy(key_, page_key, static_cast<size_t>(ks_));
  have_state_ = true;
}

DecodeStatus RecordDecoder::Decode(const uint8_t* p, const uint8_t* end, Record* rec) {
  using KC = KeyCompression;
  switch (form_) {
    case 0:
      return DecodeAs<KC::kNone, kDataNone>(p, end, rec);
    case 1:
      return DecodeAs<KC::kNone, kDataVariable>(p, end, rec);
    case 2:
      return DecodeAs<KC::kNone, kDataFixed>(p, end, rec);
    case 3:
      return DecodeAs<KC::kHalf, kDataNone>(p, end, rec);
    case 4:
      return DecodeAs<KC::kHalf, kDataVariable>(p, end, rec);
    case 5:
      return DecodeAs<KC::kHalf, kDataFixed>(p, end, rec);
    case 6:
      return DecodeAs<KC::kPosdb, kDataNone>(p, end, rec);
    case 7:
      return DecodeAs<KC::kPosdb, kDataVariable>(p, end, rec);
    default:
      return DecodeAs<KC::kPosdb, kDataFixed>(p, end, rec);
  }
}

uint32_t CanonicalKeyBytes(const RdbInfo& rdb, const uint8_t* prev, const uint8_t* key) {
  const uint32_t ks = static_cast<uint32_t>(rdb.key_size);
  if (prev == nullptr) return ks;
  switch (rdb.compression) {
    case KeyCompression::kNone:
      return ks;
    case KeyCompression::kHalf:
      return std::memcmp(prev + ks - 6, key + ks - 6, 6) == 0 ? ks - 6 : ks;
    case KeyCompression::kPosdb:
      if (std::memcmp(prev + 12, key + 12, 6) != 0) return 18;
      return std::memcmp(prev + 6, key + 6, 6) == 0 ? 6 : 12;
  }
  return ks;
}

RecordEncoder::RecordEncoder(const RdbInfo& rdb, bool full_keys_only)
    : rdb_(&rdb), ks_(rdb.key_size), full_only_(full_keys_only) {}

void RecordEncoder::Reset() {
  first_ = true;
  std::memset(prev_, 0, sizeof(prev_));
}

void RecordEncoder::SeedLastKey(const uint8_t* key) {
  std::memcpy(prev_, key, static_cast<size_t>(ks_));
  prev_[0] &= static_cast<uint8_t>(~CompressionBits(rdb_->compression));
  first_ = false;
}

size_t RecordEncoder::EncodeTo(const uint8_t* full_key, const uint8_t* data, uint32_t data_size,
                               uint8_t* dst) {
  const KeyCompression c = rdb_->compression;
  const uint8_t b0 = static_cast<uint8_t>(full_key[0] & ~CompressionBits(c));
  const uint32_t kb = (first_ || full_only_) ? static_cast<uint32_t>(ks_)
                                             : CanonicalKeyBytes(*rdb_, prev_, full_key);
  std::memcpy(dst, full_key, kb);
  uint8_t bits = 0;
  if (c == KeyCompression::kHalf && kb != static_cast<uint32_t>(ks_)) bits = 0x02;
  if (c == KeyCompression::kPosdb) bits = kb == 6 ? 0x06 : (kb == 12 ? 0x02 : 0);
  dst[0] = b0 | bits;
  std::memcpy(prev_, full_key, static_cast<size_t>(ks_));
  prev_[0] = b0;
  first_ = false;

  size_t n = kb;
  if ((b0 & 1) == 0) return n;  // negative: no size field, no data
  if (rdb_->fixed_data_size < 0) {
    StoreLE32(dst + n, data_size);
    n += 4;
    if (data_size > 0) std::memcpy(dst + n, data, data_size);
    n += data_size;
  } else if (rdb_->fixed_data_size > 0) {
    const size_t fixed = static_cast<size_t>(rdb_->fixed_data_size);
    if (data != nullptr) {
      std::memcpy(dst + n, data, fixed);
    } else {
      std::memset(dst + n, 0, fixed);
    }
    n += fixed;
  }
  return n;
}

size_t RecordEncoder::Append(const uint8_t* full_key, std::string_view data, std::string* out) {
  const size_t old = out->size();
  out->resize(old + MaxEncodedSize(static_cast<uint32_t>(data.size())));
  const size_t n =
      EncodeTo(full_key, reinterpret_cast<const uint8_t*>(data.data()),
               static_cast<uint32_t>(data.size()), reinterpret_cast<uint8_t*>(&(*out)[old]));
  out->resize(old + n);
  return n;
}

}  // namespace shardtool
