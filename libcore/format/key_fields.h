// Field layouts of the keys of doc/format.md §6: decoding (inspect, verify) and building (tests,
// the sample-data generator). Every builder returns a full key with compression bits clear.
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
  uint64_t termid = 0;         // 48 bits
  uint64_t docid = 0;          // 38 bits
  uint32_t siterank = 0;       // 4 bits
  uint32_t langid = 0;         // 6 bits (bits 4..0 at 52..48, bit 5 at bit 3)
  uint32_t wordpos = 0;        // 18 bits
  uint32_t hashgroup = 0;      // 4 bits
  uint32_t spamrank = 0;       // 4 bits
  uint32_t diversityrank = 0;  // 4 bits
  uint32_t synonym = 0;        // 2 bits
  uint32_t densityrank = 0;    // 5 bits
  bool in_outlink_text = false;
  bool sharded_by_termid = false;  // N bit
  uint32_t multiplier = 0;         // 4 bits
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
Key MakeClusterdbKey(uint64_t docid, bool family, uint32_t lang, uint32_t sitehash26,
                     bool positive);

// linkdb, tagdb (§6.3)
uint32_t LinkdbSiteHash32(const uint8_t* key);
uint64_t TagdbSiteHash64(const uint8_t* key);

// The whole linkdb key, following GB's Linkdb::makeKey_uk (doc/format.md §6.3 names only the top 32
// bits). With n0 = le32(key[0..3]), n1 = le64(key[4..11]), n2 = le64(key[12..19]),
// n3 = le64(key[20..27]):
//   n3 63..32 linkee sitehash32     n3 31..0, n2 63..49  linkee url hash (47 bits)
//   n2 48 link spam   n2 47..40 ~linker siteRank   n2 39..8 linker ip   n2 7..0 docId bits 37..30
//   n1 63..34 docId bits 29..0   n1 33..32 0   n1 31..18 discovered days   n1 17 0
//   n1 16 new-add-to-old-page    n1 15..2 lost days   n1 1..0, n0 31..2 linker sitehash32
//   n0 1 half bit (unused, 0)    n0 0 delbit
// Dates are days since kLinkdbEpoch (2008-01-01 UTC); 0 = none.
constexpr uint32_t kLinkdbEpoch = 1199232000;
struct LinkdbFields {
  uint32_t linkee_sitehash32 = 0;
  uint64_t linkee_urlhash = 0;  // 47 bits
  bool link_spam = false;
  uint32_t linker_siterank = 0;  // 8 bits, stored inverted
  uint32_t linker_ip = 0;        // GB's getLinkerIp_uk value: the first octet in bits 7..0
  uint64_t linker_docid = 0;     // 38 bits
  uint32_t discovered_days = 0;  // 14 bits
  uint32_t lost_days = 0;        // 14 bits
  bool new_add_to_old_page = false;
  uint32_t linker_sitehash32 = 0;
  bool positive = true;
};
LinkdbFields DecodeLinkdbKey(const uint8_t* key);
Key MakeLinkdbKey(const LinkdbFields& f);
// A linkdb day count as GB's dump prints it: 0, or days * 86400 + kLinkdbEpoch.
uint64_t LinkdbDaysToUnixTime(uint32_t days);

// tagdb: bytes 8..15 the site hash, bytes 4..7 the tag's dedup hash, bytes 0..3 only the delbit.
uint32_t TagdbDupHash(const uint8_t* key);
Key MakeTagdbKey(uint64_t sitehash64, uint32_t duphash, bool positive);

// spiderdb (§6.3): firstIp = u32(key[12..15]).
uint32_t SpiderdbFirstIp(const uint8_t* key);

// Named fields of a key for inspect output, in a stable order. Values are unsigned integers.
//   titledb   docid uh48
//   posdb     termid docid siterank langid wordpos hashgroup spamrank divrank synonym densrank
//             outlinktext shardbytermid mult
//   indexdb   termid score docid
//   clusterdb docid family lang sitehash26
//   linkdb    linkeesitehash32 linkeeurlhash linkspam siterank ip32 docid discovered lost
//             newaddtooldpage linkersitehash32 (dates as unix times, like GB's dump)
//   tagdb     sitehash64 duphash
//   spiderdb  firstip
//   doledb    (none)
std::vector<std::pair<std::string, uint64_t>> DecodeKeyFields(const RdbInfo& rdb,
                                                              const uint8_t* key);

}  // namespace shardtool
