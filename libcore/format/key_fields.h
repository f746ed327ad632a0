// Field layouts of the keys of FORMAT.md §6: decoding (inspect, verify) and building (tests, the
// sample-data generator). Every builder returns a full key with compression bits clear.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "format/key.h"
#include "format/rdb_registry.h"

namespace shardtool {

// titledb (§6.1)
uint64_t TitledbDocId(const uint8_t* key);
uint64_t TitledbUh48(const uint8_t* key);
Key MakeTitledbKey(uint64_t docid, uint64_t uh48, bool positive);

// posdb (§6.2)
struct PosdbFields {
  uint64_t termid = 0;      // 48 bits
  uint64_t docid = 0;       // 38 bits
  uint32_t siterank = 0;    // 4 bits
  uint32_t langid = 0;      // 6 bits (bits 4..0 at 52..48, bit 5 at bit 3)
  uint32_t wordpos = 0;     // 18 bits
  uint32_t hashgroup = 0;   // 4 bits
  uint32_t spamrank = 0;    // 4 bits
  uint32_t diversityrank = 0;  // 4 bits
  uint32_t synonym = 0;     // 2 bits
  uint32_t densityrank = 0;  // 5 bits
  bool in_outlink_text = false;
  bool sharded_by_termid = false;  // N bit
  uint32_t multiplier = 0;  // 4 bits
  bool positive = true;
};
PosdbFields DecodePosdbKey(const uint8_t* key);
Key MakePosdbKey(const PosdbFields& f);  // sets bit 9 (always 1)

// indexdb (§6.3)
uint64_t IndexdbTermId(const uint8_t* key);
uint32_t IndexdbScore(const uint8_t* key);  // the stored ~score byte inverted back
uint64_t IndexdbDocId(const uint8_t* key);
Key MakeIndexdbKey(uint64_t termid, uint8_t score, uint64_t docid, bool positive);

// clusterdb (§6.3)
uint64_t ClusterdbDocId(const uint8_t* key);
Key MakeClusterdbKey(uint64_t docid, bool family, uint32_t lang, uint32_t sitehash26, bool positive);

// linkdb, tagdb (§6.3)
uint32_t LinkdbSiteHash32(const uint8_t* key);
uint64_t TagdbSiteHash64(const uint8_t* key);

// Named fields of a key for inspect output, in a stable order. Values are unsigned integers.
std::vector<std::pair<std::string, uint64_t>> DecodeKeyFields(const RdbInfo& rdb, const uint8_t* key);

}  // namespace shardtool
