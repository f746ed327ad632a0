#include "format/key_fields.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/coding.h"
#include "testing/golden_files.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

// One line of a Gigablast dump as "name=value" pairs; words without '=' are flags ("(delete)").
struct DumpLine {
  std::map<std::string, std::string> fields;
  std::vector<std::string> words;

  bool Has(const std::string& name) const { return fields.count(name) > 0; }
  const std::string& Get(const std::string& name) const {
    static const std::string kEmpty;
    auto it = fields.find(name);
    EXPECT_NE(it, fields.end()) << "no field " << name;
    return it == fields.end() ? kEmpty : it->second;
  }
  uint64_t Dec(const std::string& name) const {
    return std::strtoull(Get(name).c_str(), nullptr, 10);
  }
  uint64_t Hex(const std::string& name) const {
    return std::strtoull(Get(name).c_str(), nullptr, 16);
  }
  bool HasWord(const std::string& w) const {
    for (const auto& x : words) {
      if (x == w) return true;
    }
    return false;
  }
};

std::vector<DumpLine> ReadDump(const std::string& name, const std::string& first_field) {
  EXPECT_TRUE(testing::GoldenFileExists(testing::GoldenPath("dumps/" + name)));
  std::ifstream in(testing::GoldenPath("dumps/" + name));
  std::vector<DumpLine> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(first_field + "=", 0) != 0) continue;  // e.g. posdb's "ek=" chunk end keys
    DumpLine d;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      size_t eq = w.find('=');
      if (eq == std::string::npos) {
        d.words.push_back(w);
      } else {
        d.fields.emplace(w.substr(0, eq), w.substr(eq + 1));
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

Key KeyFromDump(const std::string& hex, int ks) {
  Result<Key> k = Key::FromHex(hex, ks);
  EXPECT_OK(k) << hex;
  return k.ok() ? *k : Key(ks);
}

// A key from GB's n1/n0 words: n0 = bytes 0..7, n1 = bytes 8..11.
Key KeyFromN1N0(uint64_t n1, uint64_t n0) {
  Key k(12);
  StoreLE64(k.data(), n0);
  StoreLE32(k.data() + 8, static_cast<uint32_t>(n1));
  return k;
}

// GB's iptoa: the bytes of the u32 in memory order.
std::string IpToA(uint32_t ip) {
  return std::to_string(ip & 255) + "." + std::to_string((ip >> 8) & 255) + "." +
         std::to_string((ip >> 16) & 255) + "." + std::to_string(ip >> 24);
}

uint64_t Field(const std::vector<std::pair<std::string, uint64_t>>& fields,
               const std::string& name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "no field " << name;
  return 0;
}

TEST(KeyFieldsGolden, PosdbMatchesGigablastDump) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  std::vector<DumpLine> lines = ReadDump("dump_p_posdb0003.txt", "k");
  ASSERT_EQ(lines.size(), 1372u + 3711u);
  int negatives = 0, sharded_by_termid = 0;
  for (const DumpLine& d : lines) {
    Key k = KeyFromDump(d.Get("k"), 18);
    PosdbFields f = DecodePosdbKey(k.data());
    SCOPED_TRACE(d.Get("k"));
    EXPECT_EQ(f.termid, d.Dec("tid"));
    EXPECT_EQ(f.docid, d.Dec("docId"));
    EXPECT_EQ(f.siterank, d.Dec("siterank"));
    EXPECT_EQ(f.langid, d.Dec("langid"));
    EXPECT_EQ(f.wordpos, d.Dec("pos"));
    EXPECT_EQ(f.hashgroup, d.Dec("hgrp"));
    EXPECT_EQ(f.spamrank, d.Dec("spamrank"));
    EXPECT_EQ(f.diversityrank, d.Dec("divrank"));
    EXPECT_EQ(f.synonym, d.Dec("syn"));
    EXPECT_EQ(f.densityrank, d.Dec("densrank"));
    EXPECT_EQ(f.multiplier, d.Dec("mult"));
    EXPECT_EQ(f.positive, !d.HasWord("(delete)"));
    negatives += f.positive ? 0 : 1;
    sharded_by_termid += f.sharded_by_termid ? 1 : 0;
    // Nothing is lost: the builder gives the dump's key back (bit 9 set, bit 57 and the
    // compression bits clear in a full key).
    EXPECT_EQ(MakePosdbKey(f), k);
    // The inspect names carry the same values.
    auto named = DecodeKeyFields(rdb, k.data());
    EXPECT_EQ(Field(named, "termid"), d.Dec("tid"));
    EXPECT_EQ(Field(named, "wordpos"), d.Dec("pos"));
    EXPECT_EQ(Field(named, "densrank"), d.Dec("densrank"));
    // Slot: docId slot unless N is set.
    EXPECT_EQ(KeySlot(rdb, k.data()),
              f.sharded_by_termid ? static_cast<int>(f.termid >> 35) : DocIdSlot(f.docid));
  }
  EXPECT_EQ(negatives, 3711);
  EXPECT_EQ(sharded_by_termid, 148);  // both slot functions are exercised
}

TEST(KeyFieldsGolden, TitledbMatchesGigablastDump) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::vector<DumpLine> lines = ReadDump("dump_t_titledb0003-000.txt", "n1");
  ASSERT_EQ(lines.size(), 3u);
  // The dump is of a 1-shard cluster: every stated shard is slot % 1.
  const int num_shards = 1;
  for (const DumpLine& d : lines) {
    Key k = KeyFromN1N0(d.Hex("n1"), d.Hex("n0"));
    SCOPED_TRACE(k.ToHex());
    const uint64_t docid = TitledbDocId(k.data());
    EXPECT_EQ(docid, d.Dec("docId"));
    EXPECT_EQ(k.negative(), d.HasWord("(del)"));
    EXPECT_EQ(MakeTitledbKey(docid, TitledbUh48(k.data()), !k.negative()), k);
    EXPECT_EQ(KeySlot(rdb, k.data()), DocIdSlot(docid));
    EXPECT_EQ(static_cast<uint64_t>(KeySlot(rdb, k.data()) % num_shards), d.Dec("shard"));
    auto named = DecodeKeyFields(rdb, k.data());
    ASSERT_EQ(named.size(), 2u);
    EXPECT_EQ(named[0].first, "docid");
    EXPECT_EQ(named[0].second, docid);
    EXPECT_EQ(named[1].first, "uh48");
  }
  // The first record is the positive one, its key as stored in titledb0003-000.dat.
  Key first = KeyFromN1N0(lines[0].Hex("n1"), lines[0].Hex("n0"));
  EXPECT_EQ(first.ToHex(), "2636436ea5e826364373a401");
  EXPECT_EQ(TitledbUh48(first.data()), 0x7a098d90dce9u);
}

TEST(KeyFieldsGolden, ClusterdbMatchesGigablastDump) {
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  std::vector<DumpLine> lines = ReadDump("dump_l_clusterdb0001.txt", "k.n1");
  ASSERT_EQ(lines.size(), 56u);
  for (const DumpLine& d : lines) {
    Key k = KeyFromN1N0(d.Hex("k.n1"), d.Hex("k.n0"));
    SCOPED_TRACE(k.ToHex());
    auto named = DecodeKeyFields(rdb, k.data());
    ASSERT_EQ(named.size(), 4u);
    EXPECT_EQ(named[0], (std::pair<std::string, uint64_t>("docid", d.Dec("docId"))));
    EXPECT_EQ(named[1], (std::pair<std::string, uint64_t>("family", d.Dec("family"))));
    EXPECT_EQ(named[2], (std::pair<std::string, uint64_t>("lang", d.Dec("language"))));
    EXPECT_EQ(named[3], (std::pair<std::string, uint64_t>("sitehash26", d.Dec("siteHash26"))));
    EXPECT_EQ(ClusterdbDocId(k.data()), d.Dec("docId"));
    EXPECT_EQ(MakeClusterdbKey(d.Dec("docId"), d.Dec("family") != 0,
                               static_cast<uint32_t>(d.Dec("language")),
                               static_cast<uint32_t>(d.Dec("siteHash26")), !k.negative()),
              k);
    EXPECT_EQ(KeySlot(rdb, k.data()), DocIdSlot(d.Dec("docId")));
    EXPECT_EQ(static_cast<uint64_t>(KeySlot(rdb, k.data()) % 1), d.Dec("shardNum"));
  }
}

TEST(KeyFieldsGolden, LinkdbMatchesGigablastDump) {
  const RdbInfo& rdb = GetRdb(RdbId::kLinkdb);
  std::vector<DumpLine> lines = ReadDump("dump_L_linkdb0007.txt", "k");
  ASSERT_EQ(lines.size(), 24u);
  int negatives = 0;
  for (const DumpLine& d : lines) {
    Key k = KeyFromDump(d.Get("k"), 28);
    SCOPED_TRACE(d.Get("k"));
    LinkdbFields f = DecodeLinkdbKey(k.data());
    EXPECT_EQ(LinkdbSiteHash32(k.data()), d.Hex("linkeesitehash32"));
    EXPECT_EQ(f.linkee_sitehash32, d.Hex("linkeesitehash32"));
    EXPECT_EQ(f.linkee_urlhash, d.Hex("linkeeurlhash"));
    EXPECT_EQ(f.link_spam, d.Dec("linkspam") != 0);
    EXPECT_EQ(f.linker_siterank, d.Dec("siterank"));
    EXPECT_EQ(IpToA(f.linker_ip), d.Get("ip32"));
    EXPECT_EQ(f.linker_docid, d.Dec("docId"));
    EXPECT_EQ(LinkdbDaysToUnixTime(f.discovered_days), d.Dec("discovered"));
    EXPECT_EQ(LinkdbDaysToUnixTime(f.lost_days), d.Dec("lost"));
    EXPECT_EQ(f.linker_sitehash32, d.Hex("sitehash32"));
    EXPECT_EQ(f.positive, !d.HasWord("(delete)"));
    negatives += f.positive ? 0 : 1;
    EXPECT_EQ(MakeLinkdbKey(f), k);
    auto named = DecodeKeyFields(rdb, k.data());
    EXPECT_EQ(Field(named, "linkeesitehash32"), d.Hex("linkeesitehash32"));
    EXPECT_EQ(Field(named, "docid"), d.Dec("docId"));
    EXPECT_EQ(Field(named, "discovered"), d.Dec("discovered"));
    EXPECT_EQ(KeySlot(rdb, k.data()), static_cast<int>(f.linkee_sitehash32 >> 19));
    EXPECT_EQ(static_cast<uint64_t>(KeySlot(rdb, k.data()) % 1), d.Dec("shardNum"));
  }
  EXPECT_EQ(negatives, 10);
}

TEST(KeyFieldsGolden, TagdbMatchesDataFileAndDump) {
  // tagdb records are key[16] | i32 dataSize | data, never compressed: walk the file and compare
  // each key with the dump's line.
  const RdbInfo& rdb = GetRdb(RdbId::kTagdb);
  std::string bytes;
  ASSERT_TRUE(testing::ReadGoldenFile("coll.main.0/tagdb0001.dat", &bytes));
  ASSERT_EQ(bytes.size(), 737u);
  std::vector<DumpLine> lines = ReadDump("dump_S_tagdb0001.txt", "k.hsthash");
  ASSERT_EQ(lines.size(), 15u);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t off = 0;
  for (const DumpLine& d : lines) {
    ASSERT_LE(off + 20, bytes.size());
    const uint8_t* key = p + off;
    SCOPED_TRACE(KeyHex(key, 16));
    EXPECT_EQ(TagdbSiteHash64(key), d.Hex("k.hsthash"));
    EXPECT_EQ(TagdbDupHash(key), d.Hex("k.duphash"));
    EXPECT_EQ(LoadLE32(key), d.Hex("k.sitehash"));  // GB's "sitehash": only the delbit
    auto named = DecodeKeyFields(rdb, key);
    EXPECT_EQ(Field(named, "sitehash64"), d.Hex("k.hsthash"));
    EXPECT_EQ(MakeTagdbKey(TagdbSiteHash64(key), TagdbDupHash(key), !KeyIsNegative(key)),
              Key::FromBytes(key, 16));
    EXPECT_EQ(KeySlot(rdb, key), static_cast<int>((TagdbSiteHash64(key) >> 19) & 8191));
    off += 16 + 4 + static_cast<size_t>(LoadLEi32(p + off + 16));
  }
  EXPECT_EQ(off, bytes.size());
}

TEST(KeyFields, BuildersRoundTripAndSlot) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; i++) {
    const uint64_t docid = rng() & kDocIdMask;
    const bool positive = (rng() & 1) != 0;

    Key t = MakeTitledbKey(docid, rng(), positive);
    EXPECT_EQ(TitledbDocId(t.data()), docid);
    EXPECT_EQ(t.negative(), !positive);
    EXPECT_EQ(KeySlot(GetRdb(RdbId::kTitledb), t.data()), DocIdSlot(docid));
    EXPECT_EQ(LoadLE16(t.data()) & 0x3fe, 0);  // reserved bits 9..1

    PosdbFields f;
    f.termid = rng() & 0xffffffffffffULL;
    f.docid = docid;
    f.siterank = rng() & 0xf;
    f.langid = rng() & 0x3f;
    f.wordpos = rng() & 0x3ffff;
    f.hashgroup = rng() & 0xf;
    f.spamrank = rng() & 0xf;
    f.diversityrank = rng() & 0xf;
    f.synonym = rng() & 3;
    f.densityrank = rng() & 0x1f;
    f.in_outlink_text = rng() & 1;
    f.sharded_by_termid = rng() & 1;
    f.multiplier = rng() & 0xf;
    f.positive = positive;
    Key p = MakePosdbKey(f);
    PosdbFields g = DecodePosdbKey(p.data());
    EXPECT_EQ(g.termid, f.termid);
    EXPECT_EQ(g.docid, f.docid);
    EXPECT_EQ(g.siterank, f.siterank);
    EXPECT_EQ(g.langid, f.langid);
    EXPECT_EQ(g.wordpos, f.wordpos);
    EXPECT_EQ(g.hashgroup, f.hashgroup);
    EXPECT_EQ(g.spamrank, f.spamrank);
    EXPECT_EQ(g.diversityrank, f.diversityrank);
    EXPECT_EQ(g.synonym, f.synonym);
    EXPECT_EQ(g.densityrank, f.densityrank);
    EXPECT_EQ(g.in_outlink_text, f.in_outlink_text);
    EXPECT_EQ(g.sharded_by_termid, f.sharded_by_termid);
    EXPECT_EQ(g.multiplier, f.multiplier);
    EXPECT_EQ(g.positive, f.positive);
    EXPECT_EQ(p[0] & 0x06, 0);     // compression bits clear
    EXPECT_EQ(p[1] & 0x02, 0x02);  // bit 9 always 1
    EXPECT_EQ(KeySlot(GetRdb(RdbId::kPosdb), p.data()),
              f.sharded_by_termid ? static_cast<int>(f.termid >> 35) : DocIdSlot(docid));

    const uint64_t termid = rng() & 0xffffffffffffULL;
    const uint8_t score = static_cast<uint8_t>(rng());
    Key x = MakeIndexdbKey(termid, score, docid, positive);
    EXPECT_EQ(IndexdbTermId(x.data()), termid);
    EXPECT_EQ(IndexdbScore(x.data()), score);
    EXPECT_EQ(IndexdbDocId(x.data()), docid);
    EXPECT_EQ(x.negative(), !positive);
    EXPECT_EQ(x[0] & 0x02, 0);
    EXPECT_EQ(KeySlot(GetRdb(RdbId::kIndexdb), x.data()), DocIdSlot(docid));

    const uint32_t lang = rng() & 0x3f, sh26 = rng() & 0x3ffffff;
    const bool family = rng() & 1;
    Key c = MakeClusterdbKey(docid, family, lang, sh26, positive);
    auto cf = DecodeKeyFields(GetRdb(RdbId::kClusterdb), c.data());
    EXPECT_EQ(Field(cf, "docid"), docid);
    EXPECT_EQ(Field(cf, "family"), family ? 1u : 0u);
    EXPECT_EQ(Field(cf, "lang"), lang);
    EXPECT_EQ(Field(cf, "sitehash26"), sh26);
    EXPECT_EQ(c.negative(), !positive);
    EXPECT_EQ(c[11], 0);  // bits 95..73 are 0
    EXPECT_EQ(KeySlot(GetRdb(RdbId::kClusterdb), c.data()), DocIdSlot(docid));

    LinkdbFields l;
    l.linkee_sitehash32 = static_cast<uint32_t>(rng());
    l.linkee_urlhash = rng() & 0x7fffffffffffULL;
    l.link_spam = rng() & 1;
    l.linker_siterank = rng() & 0xff;
    l.linker_ip = static_cast<uint32_t>(rng());
    l.linker_docid = docid;
    l.discovered_days = rng() & 0x3fff;
    l.lost_days = rng() & 0x3fff;
    l.new_add_to_old_page = rng() & 1;
    l.linker_sitehash32 = static_cast<uint32_t>(rng());
    l.positive = positive;
    Key lk = MakeLinkdbKey(l);
    LinkdbFields m = DecodeLinkdbKey(lk.data());
    EXPECT_EQ(MakeLinkdbKey(m), lk);
    EXPECT_EQ(m.linkee_sitehash32, l.linkee_sitehash32);
    EXPECT_EQ(m.linkee_urlhash, l.linkee_urlhash);
    EXPECT_EQ(m.link_spam, l.link_spam);
    EXPECT_EQ(m.linker_siterank, l.linker_siterank);
    EXPECT_EQ(m.linker_ip, l.linker_ip);
    EXPECT_EQ(m.linker_docid, l.linker_docid);
    EXPECT_EQ(m.discovered_days, l.discovered_days);
    EXPECT_EQ(m.lost_days, l.lost_days);
    EXPECT_EQ(m.new_add_to_old_page, l.new_add_to_old_page);
    EXPECT_EQ(m.linker_sitehash32, l.linker_sitehash32);
    EXPECT_EQ(m.positive, l.positive);
    EXPECT_EQ(lk[0] & 0x02, 0);  // half bit unused
    EXPECT_EQ(KeySlot(GetRdb(RdbId::kLinkdb), lk.data()),
              static_cast<int>(l.linkee_sitehash32 >> 19));

    const uint64_t sh64 = rng();
    Key tg = MakeTagdbKey(sh64, static_cast<uint32_t>(i), positive);
    EXPECT_EQ(TagdbSiteHash64(tg.data()), sh64);
    EXPECT_EQ(TagdbDupHash(tg.data()), static_cast<uint32_t>(i));
    EXPECT_EQ(tg.negative(), !positive);
    EXPECT_EQ(KeySlot(GetRdb(RdbId::kTagdb), tg.data()), static_cast<int>((sh64 >> 19) & 8191));
  }
}

TEST(KeyFields, DecodeKeyFieldsNamesAndOrder) {
  auto names = [](RdbId id) {
    Key k = Key::Max(GetRdb(id).key_size);
    std::vector<std::string> out;
    for (const auto& [n, v] : DecodeKeyFields(GetRdb(id), k.data())) out.push_back(n);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(RdbId::kTitledb), (V{"docid", "uh48"}));
  EXPECT_EQ(names(RdbId::kPosdb),
            (V{"termid", "docid", "siterank", "langid", "wordpos", "hashgroup", "spamrank",
               "divrank", "synonym", "densrank", "outlinktext", "shardbytermid", "mult"}));
  EXPECT_EQ(names(RdbId::kIndexdb), (V{"termid", "score", "docid"}));
  EXPECT_EQ(names(RdbId::kClusterdb), (V{"docid", "family", "lang", "sitehash26"}));
  EXPECT_EQ(names(RdbId::kLinkdb),
            (V{"linkeesitehash32", "linkeeurlhash", "linkspam", "siterank", "ip32", "docid",
               "discovered", "lost", "newaddtooldpage", "linkersitehash32"}));
  EXPECT_EQ(names(RdbId::kTagdb), (V{"sitehash64", "duphash"}));
  EXPECT_EQ(names(RdbId::kSpiderdb), (V{"firstip"}));
  EXPECT_EQ(names(RdbId::kDoledb), V{});
}

TEST(KeyFields, MaxKeyValuesAreMasked) {
  Key k = Key::Max(18);
  PosdbFields f = DecodePosdbKey(k.data());
  EXPECT_EQ(f.termid, 0xffffffffffffULL);
  EXPECT_EQ(f.docid, kDocIdMask);
  EXPECT_EQ(f.langid, 63u);
  EXPECT_EQ(f.wordpos, 0x3ffffu);
  Key t = Key::Max(12);
  EXPECT_EQ(TitledbDocId(t.data()), kDocIdMask);
  EXPECT_EQ(TitledbUh48(t.data()), 0xffffffffffffULL);
  EXPECT_EQ(IndexdbScore(t.data()), 0u);
  EXPECT_EQ(ClusterdbDocId(t.data()), kDocIdMask);
  Key s = Key::Max(16);
  EXPECT_EQ(SpiderdbFirstIp(s.data()), 0xffffffffu);
}

}  // namespace
}  // namespace shardtool
