#include "format/key_fields.h"

#include "base/coding.h"

namespace shardtool {
namespace {

constexpr uint64_t kMask48 = 0xffffffffffffULL;

// Stores the low n bytes of v little-endian at p.
void StoreLEn(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void SetDelbit(Key* k, bool positive) {
  if (positive) {
    k->data()[0] |= 1;
  } else {
    k->data()[0] &= 0xfe;
  }
}

}  // namespace

// ---- titledb (§6.1): n0 = bytes 0..7, n1 = bytes 8..11 ----

uint64_t TitledbDocId(const uint8_t* key) {
  uint64_t n0 = LoadLE64(key), n1 = LoadLE32(key + 8);
  return ((n1 << 6) | (n0 >> 58)) & kDocIdMask;
}

uint64_t TitledbUh48(const uint8_t* key) { return (LoadLE64(key) >> 10) & kMask48; }

Key MakeTitledbKey(uint64_t docid, uint64_t uh48, bool positive) {
  docid &= kDocIdMask;
  Key k(12);
  uint64_t n0 = (docid << 58) | ((uh48 & kMask48) << 10) | (positive ? 1 : 0);
  StoreLE64(k.data(), n0);
  StoreLE32(k.data() + 8, static_cast<uint32_t>(docid >> 6));
  return k;
}

// ---- posdb (§6.2); w = le64(key[0..7]) holds bits 63..0 ----

PosdbFields DecodePosdbKey(const uint8_t* key) {
  PosdbFields f;
  uint64_t w = LoadLE64(key);
  f.termid = LoadLEn(key + 12, 6);
  f.docid = (LoadLEn(key + 7, 5) >> 2) & kDocIdMask;
  f.siterank = static_cast<uint32_t>((w >> 53) & 0xf);
  f.langid = static_cast<uint32_t>(((w >> 48) & 0x1f) | (((w >> 3) & 1) << 5));
  f.wordpos = static_cast<uint32_t>((w >> 30) & 0x3ffff);
  f.hashgroup = static_cast<uint32_t>((w >> 26) & 0xf);
  f.spamrank = static_cast<uint32_t>((w >> 22) & 0xf);
  f.diversityrank = static_cast<uint32_t>((w >> 18) & 0xf);
  f.synonym = static_cast<uint32_t>((w >> 16) & 0x3);
  f.densityrank = static_cast<uint32_t>((w >> 11) & 0x1f);
  f.in_outlink_text = (w >> 10) & 1;
  f.sharded_by_termid = (w >> 8) & 1;
  f.multiplier = static_cast<uint32_t>((w >> 4) & 0xf);
  f.positive = (w & 1) != 0;
  return f;
}

Key MakePosdbKey(const PosdbFields& f) {
  Key k(18);
  uint64_t docid = f.docid & kDocIdMask;
  // Bits 63..0: docId bits 5..0 at 63..58, bit 57 zero, then the small fields.
  uint64_t w = (docid << 58) | (static_cast<uint64_t>(f.siterank & 0xf) << 53) |
               (static_cast<uint64_t>(f.langid & 0x1f) << 48) |
               (static_cast<uint64_t>(f.wordpos & 0x3ffff) << 30) |
               (static_cast<uint64_t>(f.hashgroup & 0xf) << 26) |
               (static_cast<uint64_t>(f.spamrank & 0xf) << 22) |
               (static_cast<uint64_t>(f.diversityrank & 0xf) << 18) |
               (static_cast<uint64_t>(f.synonym & 0x3) << 16) |
               (static_cast<uint64_t>(f.densityrank & 0x1f) << 11) |
               (static_cast<uint64_t>(f.in_outlink_text) << 10) | (uint64_t{1} << 9) |
               (static_cast<uint64_t>(f.sharded_by_termid) << 8) |
               (static_cast<uint64_t>(f.multiplier & 0xf) << 4) |
               (static_cast<uint64_t>((f.langid >> 5) & 1) << 3) | (f.positive ? 1 : 0);
  StoreLE64(k.data(), w);
  // Bits 95..64: docId bits 37..6.
  StoreLE32(k.data() + 8, static_cast<uint32_t>(docid >> 6));
  StoreLEn(k.data() + 12, f.termid & kMask48, 6);
  return k;
}

// ---- indexdb (§6.3) ----

uint64_t IndexdbTermId(const uint8_t* key) { return LoadLEn(key + 6, 6); }

uint32_t IndexdbScore(const uint8_t* key) { return static_cast<uint8_t>(~key[5]); }

uint64_t IndexdbDocId(const uint8_t* key) { return (LoadLE64(key) >> 2) & kDocIdMask; }

Key MakeIndexdbKey(uint64_t termid, uint8_t score, uint64_t docid, bool positive) {
  Key k(12);
  // Bytes 0..4 hold docId bits 37..0 at key bits 39..2; byte 5 the inverted score.
  uint64_t low = ((docid & kDocIdMask) << 2) | (positive ? 1 : 0);
  StoreLEn(k.data(), low, 5);
  k.data()[5] = static_cast<uint8_t>(~score);
  StoreLEn(k.data() + 6, termid & kMask48, 6);
  return k;
}

// ---- clusterdb (§6.3): n0 = bytes 0..7, n1 = bytes 8..11 ----

uint64_t ClusterdbDocId(const uint8_t* key) {
  uint64_t n0 = LoadLE64(key), n1 = LoadLE32(key + 8);
  return ((n0 >> 35) | (n1 << 29)) & kDocIdMask;
}

Key MakeClusterdbKey(uint64_t docid, bool family, uint32_t lang, uint32_t sitehash26,
                     bool positive) {
  docid &= kDocIdMask;
  Key k(12);
  uint64_t n0 = (docid << 35) | (static_cast<uint64_t>(family) << 34) |
                (static_cast<uint64_t>(lang & 0x3f) << 28) |
                (static_cast<uint64_t>(sitehash26 & 0x3ffffff) << 2) | (positive ? 1 : 0);
  StoreLE64(k.data(), n0);
  StoreLE32(k.data() + 8, static_cast<uint32_t>(docid >> 29));
  return k;
}

// ---- linkdb (§6.3 and GB Linkdb.h) ----

uint32_t LinkdbSiteHash32(const uint8_t* key) { return LoadLE32(key + 24); }

LinkdbFields DecodeLinkdbKey(const uint8_t* key) {
  uint64_t n0 = LoadLE32(key), n1 = LoadLE64(key + 4), n2 = LoadLE64(key + 12),
           n3 = LoadLE64(key + 20);
  LinkdbFields f;
  f.linkee_sitehash32 = static_cast<uint32_t>(n3 >> 32);
  f.linkee_urlhash = ((n3 & 0xffffffffULL) << 15) | (n2 >> 49);
  f.link_spam = (n2 >> 48) & 1;
  f.linker_siterank = static_cast<uint32_t>(~(n2 >> 40) & 0xff);
  f.linker_ip = static_cast<uint32_t>(n2 >> 8);
  f.linker_docid = ((n2 & 0xff) << 30) | (n1 >> 34);
  f.discovered_days = static_cast<uint32_t>((n1 >> 18) & 0x3fff);
  f.new_add_to_old_page = (n1 >> 16) & 1;
  f.lost_days = static_cast<uint32_t>((n1 >> 2) & 0x3fff);
  f.linker_sitehash32 = static_cast<uint32_t>(((n1 & 3) << 30) | (n0 >> 2));
  f.positive = (n0 & 1) != 0;
  return f;
}

Key MakeLinkdbKey(const LinkdbFields& f) {
  uint64_t urlhash = f.linkee_urlhash & 0x7fffffffffffULL;
  uint64_t docid = f.linker_docid & kDocIdMask;
  uint64_t n3 = (static_cast<uint64_t>(f.linkee_sitehash32) << 32) | (urlhash >> 15);
  uint64_t n2 = ((urlhash & 0x7fff) << 49) | (static_cast<uint64_t>(f.link_spam) << 48) |
                (static_cast<uint64_t>(~f.linker_siterank & 0xff) << 40) |
                (static_cast<uint64_t>(f.linker_ip) << 8) | (docid >> 30);
  uint64_t n1 = ((docid & 0x3fffffff) << 34) |
                (static_cast<uint64_t>(f.discovered_days & 0x3fff) << 18) |
                (static_cast<uint64_t>(f.new_add_to_old_page) << 16) |
                (static_cast<uint64_t>(f.lost_days & 0x3fff) << 2) | (f.linker_sitehash32 >> 30);
  uint32_t n0 = (f.linker_sitehash32 << 2) | (f.positive ? 1 : 0);
  Key k(28);
  StoreLE32(k.data(), n0);
  StoreLE64(k.data() + 4, n1);
  StoreLE64(k.data() + 12, n2);
  StoreLE64(k.data() + 20, n3);
  return k;
}

uint64_t LinkdbDaysToUnixTime(uint32_t days) {
  return days == 0 ? 0 : uint64_t{days} * 86400 + kLinkdbEpoch;
}

// ---- tagdb, spiderdb ----

uint64_t TagdbSiteHash64(const uint8_t* key) { return LoadLE64(key + 8); }

uint32_t TagdbDupHash(const uint8_t* key) { return LoadLE32(key + 4); }

Key MakeTagdbKey(uint64_t sitehash64, uint32_t duphash, bool positive) {
  Key k(16);
  StoreLE64(k.data() + 8, sitehash64);
  StoreLE32(k.data() + 4, duphash);
  SetDelbit(&k, positive);
  return k;
}

uint32_t SpiderdbFirstIp(const uint8_t* key) { return LoadLE32(key + 12); }

// ---- inspect ----

std::vector<std::pair<std::string, uint64_t>> DecodeKeyFields(const RdbInfo& rdb,
                                                              const uint8_t* key) {
  switch (rdb.id) {
    case RdbId::kTitledb:
      return {{"docid", TitledbDocId(key)}, {"uh48", TitledbUh48(key)}};
    case RdbId::kPosdb: {
      PosdbFields f = DecodePosdbKey(key);
      return {{"termid", f.termid},
              {"docid", f.docid},
              {"siterank", f.siterank},
              {"langid", f.langid},
              {"wordpos", f.wordpos},
              {"hashgroup", f.hashgroup},
              {"spamrank", f.spamrank},
              {"divrank", f.diversityrank},
              {"synonym", f.synonym},
              {"densrank", f.densityrank},
              {"outlinktext", f.in_outlink_text},
              {"shardbytermid", f.sharded_by_termid},
              {"mult", f.multiplier}};
    }
    case RdbId::kIndexdb:
      return {{"termid", IndexdbTermId(key)},
              {"score", IndexdbScore(key)},
              {"docid", IndexdbDocId(key)}};
    case RdbId::kClusterdb: {
      uint64_t n0 = LoadLE64(key);
      return {{"docid", ClusterdbDocId(key)},
              {"family", (n0 >> 34) & 1},
              {"lang", (n0 >> 28) & 0x3f},
              {"sitehash26", (n0 >> 2) & 0x3ffffff}};
    }
    case RdbId::kLinkdb: {
      LinkdbFields f = DecodeLinkdbKey(key);
      return {{"linkeesitehash32", f.linkee_sitehash32},
              {"linkeeurlhash", f.linkee_urlhash},
              {"linkspam", f.link_spam},
              {"siterank", f.linker_siterank},
              {"ip32", f.linker_ip},
              {"docid", f.linker_docid},
              {"discovered", LinkdbDaysToUnixTime(f.discovered_days)},
              {"lost", LinkdbDaysToUnixTime(f.lost_days)},
              {"newaddtooldpage", f.new_add_to_old_page},
              {"linkersitehash32", f.linker_sitehash32}};
    }
    case RdbId::kTagdb:
      return {{"sitehash64", TagdbSiteHash64(key)}, {"duphash", TagdbDupHash(key)}};
    case RdbId::kSpiderdb:
      return {{"firstip", SpiderdbFirstIp(key)}};
    case RdbId::kDoledb:
      return {};
  }
  return {};
}

}  // namespace shardtool
