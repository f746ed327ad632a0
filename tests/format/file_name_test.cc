#include "format/file_name.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtool {
namespace {

DataFileName MustParse(std::string_view name) {
  std::optional<DataFileName> f = ParseDataFileName(name);
  EXPECT_TRUE(f.has_value()) << name;
  return f.value_or(DataFileName{});
}

TEST(FileName, NormalName) {
  DataFileName f = MustParse("posdb0003.dat");
  EXPECT_EQ(f.db, "posdb");
  EXPECT_EQ(f.id, 3);
  EXPECT_EQ(f.ddd, -1);
  EXPECT_EQ(f.merge_files, -1);
  EXPECT_FALSE(f.is_merge());
  EXPECT_EQ(f.part, 0);
  EXPECT_EQ(f.BaseName(), "posdb0003.dat");
  EXPECT_EQ(f.ToString(), "posdb0003.dat");
}

TEST(FileName, TitledbName) {
  DataFileName f = MustParse("titledb0003-000.dat");
  EXPECT_EQ(f.db, "titledb");
  EXPECT_EQ(f.id, 3);
  EXPECT_EQ(f.ddd, 0);
  EXPECT_FALSE(f.is_merge());
  EXPECT_EQ(f.ToString(), "titledb0003-000.dat");
  // D8 is a check, not a parse error.
  EXPECT_EQ(MustParse("titledb0003-007.dat").ddd, 7);
}

TEST(FileName, MergeNames) {
  DataFileName f = MustParse("posdb0002.003.dat");
  EXPECT_EQ(f.id, 2);
  EXPECT_EQ(f.merge_files, 3);
  EXPECT_TRUE(f.is_merge());
  EXPECT_EQ(f.ToString(), "posdb0002.003.dat");

  DataFileName t = MustParse("titledb0002-000.003.dat");
  EXPECT_EQ(t.id, 2);
  EXPECT_EQ(t.ddd, 0);
  EXPECT_EQ(t.merge_files, 3);
  EXPECT_EQ(t.ToString(), "titledb0002-000.003.dat");
}

TEST(FileName, Parts) {
  DataFileName f = MustParse("posdb0003.dat.part1");
  EXPECT_EQ(f.part, 1);
  EXPECT_EQ(f.BaseName(), "posdb0003.dat");
  EXPECT_EQ(f.ToString(), "posdb0003.dat.part1");
  DataFileName g = MustParse("titledb0002-000.003.dat.part12");
  EXPECT_EQ(g.part, 12);
  EXPECT_EQ(g.merge_files, 3);
  EXPECT_EQ(g.BaseName(), "titledb0002-000.003.dat");
  EXPECT_EQ(g.ToString(), "titledb0002-000.003.dat.part12");
}

TEST(FileName, FiveDigitIds) {
  DataFileName f = MustParse("posdb10001.dat");
  EXPECT_EQ(f.id, 10001);
  EXPECT_EQ(f.ToString(), "posdb10001.dat");
  EXPECT_EQ(MustParse("titledb99999-000.dat").id, 99999);
  EXPECT_EQ(MustParse("posdb10000.005.dat.part3").ToString(), "posdb10000.005.dat.part3");
  // The 4-digit form only below 10000 and the 5-digit form only from 10000: one spelling per id.
  EXPECT_FALSE(ParseDataFileName("posdb00001.dat"));
  EXPECT_FALSE(ParseDataFileName("posdb09999.dat"));
  EXPECT_EQ(MustParse("posdb9999.dat").id, 9999);
}

TEST(FileName, Rejects) {
  for (const char* bad : {"posdb3.dat",
                          "posdb0003.dat.tmp",
                          "posdb0003.map",
                          "titledb0003-00.dat",
                          "posdb0003.03.dat",
                          "posdb0003.datx",
                          "posdb0003.dat.part0",
                          "posdb0003.dat.part01",
                          "posdb0003.dat.part",
                          "posdb0003.dat.partx",
                          "posdb000003.dat",
                          "posdb0003",
                          "posdb0003.",
                          "0003.dat",
                          ".dat",
                          "",
                          "posdb0003-0000.dat",
                          "posdb0003.0003.dat",
                          "posdb0003.003.map",
                          "Posdb0003.dat",
                          "posdb0003.dat.part1.tmp",
                          "posdb0003.003.dat.part1x",
                          "posdb0003-000-000.dat",
                          "posdb0003.dat.part1234567890",
                          "posdb0003.map.tmp",
                          "posdb0003.crc"}) {
    EXPECT_FALSE(ParseDataFileName(bad)) << bad;
  }
}

TEST(FileName, Formatters) {
  EXPECT_EQ(FormatFileId(0), "0000");
  EXPECT_EQ(FormatFileId(3), "0003");
  EXPECT_EQ(FormatFileId(9999), "9999");
  EXPECT_EQ(FormatFileId(10000), "10000");
  EXPECT_EQ(DataName("posdb", 3, false), "posdb0003.dat");
  EXPECT_EQ(DataName("titledb", 3, true), "titledb0003-000.dat");
  EXPECT_EQ(DataName("posdb", 12345, false), "posdb12345.dat");
  EXPECT_EQ(MergeName("posdb", 0, 3, false), "posdb0000.003.dat");
  EXPECT_EQ(MergeName("titledb", 2, 12, true), "titledb0002-000.012.dat");
  EXPECT_EQ(MapName("titledb", 1), "titledb0001.map");
  EXPECT_EQ(CrcName("posdb", 10003), "posdb10003.crc");
  EXPECT_EQ(PartName("posdb0003.dat", 0), "posdb0003.dat");
  EXPECT_EQ(PartName("posdb0003.dat", 2), "posdb0003.dat.part2");
}

TEST(FileName, FormattedNamesParseBack) {
  for (int32_t id : {0, 1, 2, 999, 9999, 10000, 10001, 99999}) {
    for (bool titledb : {false, true}) {
      const char* db = titledb ? "titledb" : "clusterdb";
      DataFileName f = MustParse(DataName(db, id, titledb));
      EXPECT_EQ(f.id, id);
      EXPECT_EQ(f.ddd, titledb ? 0 : -1);
      EXPECT_EQ(f.ToString(), DataName(db, id, titledb));
      DataFileName m = MustParse(PartName(MergeName(db, id, 7, titledb), 4));
      EXPECT_EQ(m.id, id);
      EXPECT_EQ(m.merge_files, 7);
      EXPECT_EQ(m.part, 4);
      EXPECT_EQ(m.BaseName(), MergeName(db, id, 7, titledb));
    }
  }
}

TEST(FileName, MetaNames) {
  std::optional<MetaFileName> m = ParseMetaFileName("titledb0003.map");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->db, "titledb");
  EXPECT_EQ(m->id, 3);
  EXPECT_EQ(m->kind, MetaFileKind::kMap);
  std::optional<MetaFileName> c = ParseMetaFileName("posdb10003.crc");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, 10003);
  EXPECT_EQ(c->kind, MetaFileKind::kCrc);
  for (const char* bad : {"titledb0003-000.map", "posdb0002.003.map", "posdb0003.map.tmp",
                          "posdb0003.dat", "posdb00003.map", "posdb3.crc", "posdb0003.map.part1"}) {
    EXPECT_FALSE(ParseMetaFileName(bad)) << bad;
  }
}

TEST(FileName, GbWouldLoad) {
  EXPECT_TRUE(GbWouldLoad("posdb0003.dat", "posdb"));
  EXPECT_TRUE(GbWouldLoad("posdb0003.dat.part1", "posdb"));
  EXPECT_TRUE(GbWouldLoad("titledb0003-000.dat", "titledb"));
  EXPECT_TRUE(GbWouldLoad("posdb10003.dat", "posdb"));
  // GB reads names we do not parse: only the prefix, 4 digits and ".dat" somewhere matter.
  EXPECT_TRUE(GbWouldLoad("posdb00001.dat", "posdb"));
  EXPECT_TRUE(GbWouldLoad("posdb0003.dat.tmp", "posdb"));
  EXPECT_TRUE(GbWouldLoad("posdb0003.map.dat", "posdb"));
  EXPECT_FALSE(GbWouldLoad("posdb0003.map", "posdb"));
  EXPECT_FALSE(GbWouldLoad("posdb0003.map.tmp", "posdb"));  // the naming rule's temporaries
  EXPECT_FALSE(GbWouldLoad("posdb0003.crc", "posdb"));
  EXPECT_FALSE(GbWouldLoad("posdb003.dat", "posdb"));
  EXPECT_FALSE(GbWouldLoad("posdb3.dat", "posdb"));
  EXPECT_FALSE(GbWouldLoad("titledb0003-000.dat", "posdb"));
  EXPECT_FALSE(GbWouldLoad("posdb0003.dat", "titledb"));
  EXPECT_FALSE(GbWouldLoad("", "posdb"));
}

}  // namespace
}  // namespace shardtool
