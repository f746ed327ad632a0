// Random record lists for codec and map tests: sorted records of any registry Rdb whose keys share
// top bytes often enough that every compressed form occurs, plus encode / decode / map helpers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/key.h"
#include "format/page_map.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"

namespace shardtool::testing {

struct TestRecord {
  Key key;           // full key (compression bits clear)
  std::string data;  // data part (empty for negatives and key-only Rdbs)
  bool negative() const { return key.negative(); }
};

struct RandomListOptions {
  double negative_fraction = 0.25;
  uint32_t max_data_size = 64;  // variable-size Rdbs: sizes 0..max_data_size
  int num_hi = 4;               // distinct top-6-byte values (small = many half / 12-byte keys)
  int num_mid = 8;              // posdb: distinct bytes 6..11 per hi (small = many 6-byte keys)
};

// n records of `rdb` with strictly increasing, distinct keys.
std::vector<TestRecord> RandomRecords(const RdbInfo& rdb, size_t n, uint64_t seed,
                                      const RandomListOptions& opt = {});

// The two lists hold the same records in the same order (gtest assertions, naming the index).
void ExpectRecords(const std::vector<TestRecord>& got, const std::vector<TestRecord>& want);

// Canonical encoding (RecordEncoder) of the records; offsets/sizes of each record if wanted.
std::string EncodeRecords(const RdbInfo& rdb, const std::vector<TestRecord>& recs,
                          std::vector<uint64_t>* offsets = nullptr);

// A decoded record, copied out of the decoder.
struct DecodedRecord {
  Key key;
  std::string data;
  uint64_t offset = 0;
  uint32_t size = 0;
  uint32_t key_bytes = 0;
  bool negative = false;
};

// Decodes [begin, end) from a fresh decoder (or seeded with *seed). Stops at the first failure:
// *status gets it (kOk when the whole range decoded) and *stop the offset it happened at.
std::vector<DecodedRecord> DecodeAll(const RdbInfo& rdb, std::string_view bytes,
                                     DecodeStatus* status = nullptr, uint64_t* stop = nullptr,
                                     const uint8_t* seed = nullptr, uint64_t base_offset = 0);

// The map GB would build for the records (PageMap::AddRecord in file order).
PageMap BuildMap(const RdbInfo& rdb, const std::vector<DecodedRecord>& recs);

// A range read through the map (doc/format.md §5.3 with shardtool's start = getPage(a-1)): decodes
// the bytes of map.RangeSpan(a, b) seeded with the start page's key and keeps the keys in [a, b].
// *ok is false when the span does not decode completely.
std::vector<Key> RangeRead(const RdbInfo& rdb, std::string_view file, const PageMap& map,
                           const Key& a, const Key& b, bool* ok);
// The keys in [a, b] of records (in file order).
std::vector<Key> KeysIn(const std::vector<DecodedRecord>& recs, const Key& a, const Key& b);

}  // namespace shardtool::testing
