// Record list codec (doc/format.md §3): decodes and encodes the records of a data file, carrying
// the key-compression state ("hi" = top 6 key bytes of the last full stored key; posdb "mid" = key
// bytes 6..11 of the last 12- or 18-byte record) across the whole file.
//
// The decoder works on a byte range [p, end) that the caller refills: a record that does not fit
// yields kTruncated without consuming anything, so the caller can read more and call again.
// Decoded keys are full keys (compression bits 0x02 / 0x06 of byte 0 cleared).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "format/finding.h"
#include "format/key.h"
#include "format/rdb_registry.h"

namespace shardtool {

// One decoded record. key points into the decoder (valid until the next Decode/Reset/Seed); data
// points into the caller's bytes.
struct Record {
  const uint8_t* key = nullptr;   // full key, ks bytes
  const uint8_t* data = nullptr;  // data part (nullptr when there is none)
  uint32_t data_size = 0;         // bytes of data (variable: the size field; fixed N: N; else 0)
  uint32_t key_bytes = 0;         // stored key bytes: 6/12/18 (posdb), ks-6 or ks
  uint32_t size = 0;              // total stored bytes of the record (key + size field + data)
  bool negative = false;
};

enum class DecodeStatus {
  kOk,
  kTruncated,    // the record runs past `end` (L2 if `end` is the end of the data)
  kBadDataSize,  // a variable-size positive record with dataSize < 0 (L3), or > max_data_size
  kNoState,      // a compressed key with no preceding full key to complete it (L1)
};

// The doc/format.md rule a failed decode breaks at the end of the data: kNoState "L1", kTruncated
// "L2", kBadDataSize "L3" (also used for a size above the decoder's maximum); "" for kOk.
std::string_view DecodeStatusRule(DecodeStatus s);
// A finding for a record of `file` that failed to decode with `s` at logical offset `offset`
// (page = offset / the Rdb's page size), e.g. "x.dat: offset 77796 (page 2): record runs past the
// end of the data (torn or truncated) (L2)".
// REQUIRES: s != kOk.
Finding DecodeFailureFinding(const RdbInfo& rdb, DecodeStatus s, const std::string& file,
                             int64_t offset);

class RecordDecoder {
 public:
  explicit RecordDecoder(const RdbInfo& rdb);
  const RdbInfo& rdb() const { return *rdb_; }

  // Start of a file: no compression state.
  void Reset();
  // Decoding from a page start (doc/format.md §3, §5): the first record there has full key
  // page_key.
  void SeedFromPageKey(const uint8_t* page_key);
  // Sets the largest dataSize accepted for variable-size records (default 500 000 000, Msg3's
  // rule); larger sizes give kBadDataSize.
  void set_max_data_size(uint32_t max) { max_data_size_ = max; }

  // Decodes one record from [p, end). On kOk fills *rec and updates the state; on any other result
  // nothing changes. Checks run in this order: no byte at all (kTruncated), a compressed key
  // without state (kNoState), then the key, size field and data against `end` (kTruncated,
  // kBadDataSize). Costs one switch on the Rdb's form per call; no allocation.
  DecodeStatus Decode(const uint8_t* p, const uint8_t* end, Record* rec);

  // Full key of the last decoded record (KEYMIN before any; the page key after SeedFromPageKey).
  const uint8_t* last_key() const { return key_; }

  // Decode specialised per key compression (C) and data-part form (D: 0 none, 1 variable, 2
  // fixed N); Decode() dispatches on form_ = 3*C + D. Defined inline in record_decoder_inl.h for
  // loops that know their layout. REQUIRES: C and D match the Rdb.
  template <KeyCompression C, int D>
  DecodeStatus DecodeAs(const uint8_t* p, const uint8_t* end, Record* rec);

 private:
  const RdbInfo* rdb_;
  int ks_;
  uint8_t form_;
  // True once key_ holds a full key that compressed forms can complete. The compression state of
  // §3 ("hi" and posdb "mid") is always the matching bytes of the last full key, so key_ is the
  // whole state.
  bool have_state_ = false;
  uint32_t max_data_size_ = 500000000;
  uint8_t key_[kMaxKeySize] = {};
};

// Canonical stored key size for `key` after a record with full key `prev` (doc/format.md §3
// encoder); prev == nullptr means "first record": always full. Used for L7.
uint32_t CanonicalKeyBytes(const RdbInfo& rdb, const uint8_t* prev, const uint8_t* key);

// Encodes records canonically (GB addRecord). With full_keys_only (bundle streams, doc/format.md
// §10.2) every key is stored full with its compression bits clear.
class RecordEncoder {
 public:
  explicit RecordEncoder(const RdbInfo& rdb, bool full_keys_only = false);
  // Next record is the first of a file: stored full.
  void Reset();
  // Continue after an existing record whose full key is `key` (merge resume, doc/format.md §8.7).
  void SeedLastKey(const uint8_t* key);

  // Largest encoding of one record with data_size bytes of data.
  size_t MaxEncodedSize(uint32_t data_size) const {
    size_t n = static_cast<size_t>(ks_);
    if (rdb_->fixed_data_size < 0) n += 4 + static_cast<size_t>(data_size);
    if (rdb_->fixed_data_size > 0) n += static_cast<size_t>(rdb_->fixed_data_size);
    return n;
  }
  // Writes the record at dst (at least MaxEncodedSize bytes) and returns the bytes written.
  // `data`/`data_size` are ignored for negative keys and for fixed-size-0 Rdbs; for fixed N > 0
  // data_size must be N.
  size_t EncodeTo(const uint8_t* full_key, const uint8_t* data, uint32_t data_size, uint8_t* dst);
  // Appends the record to out; returns the bytes appended.
  size_t Append(const uint8_t* full_key, std::string_view data, std::string* out);
  // EncodeTo specialised for a key size (KS), key compression (C) and data form (D, as
  // VisitRdbLayout gives them), defined inline in record_encoder_inl.h for hot loops. It may
  // store up to MaxEncodedSize bytes at dst even when the record is shorter. REQUIRES: the
  // layout matches the Rdb and the encoder was not made with full_keys_only.
  template <int KS, KeyCompression C, int D>
  size_t EncodeAs(const uint8_t* full_key, const uint8_t* data, uint32_t data_size, uint8_t* dst);

 private:
  const RdbInfo* rdb_;
  int ks_;
  bool full_only_;
  bool first_ = true;
  uint8_t prev_[kMaxKeySize] = {};
};

}  // namespace shardtool
