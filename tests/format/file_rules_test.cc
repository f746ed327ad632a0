// Part and name rules of doc/format.md §4 that BigFile and the directory checks report: D2, D5, D8,
// D9 (D1, D3, D4, D6, D7 are covered with the scanner and the verifier).
#include <gtest/gtest.h>

#include <algorithm>

#include "format/big_file.h"
#include "format/file_name.h"
#include "io/mem_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

bool Has(const std::vector<Finding>& f, const std::string& rule) {
  return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.rule == rule; });
}

TEST(FileRules, D2PartSizeNotAMultipleOfTheSegmentSpan) {
  MemFileSystem fs;
  // Two parts of 3 MiB for a 32 KiB-page Rdb: 3 MiB is not a multiple of 2048 x 32 KiB.
  fs.WriteAll("/d/posdb0001.dat", std::string(3 << 20, '\0'));
  fs.WriteAll("/d/posdb0001.dat.part1", std::string(100, '\0'));
  std::vector<Finding> f;
  auto entries = fs.ListDir("/d");
  auto big = BigFile::Open(&fs, "/d", "posdb0001.dat", *entries, 32768, 2013265920ULL, &f);
  ASSERT_OK(big);
  EXPECT_EQ((*big)->part_size(), 3u << 20);
  EXPECT_EQ((*big)->logical_size(), (3u << 20) + 100);
  ASSERT_TRUE(Has(f, "D2"));
  EXPECT_NE(f[0].file.find("posdb0001.dat"), std::string::npos);
}

TEST(FileRules, D5AndD8TitledbNames) {
  std::vector<Finding> f;
  CheckDataFileName(*ParseDataFileName("titledb0001.dat"), true, "d/titledb0001.dat", &f);
  EXPECT_TRUE(Has(f, "D5"));
  f.clear();
  CheckDataFileName(*ParseDataFileName("titledb0001-002.dat"), true, "d/titledb0001-002.dat", &f);
  EXPECT_TRUE(Has(f, "D8"));
  EXPECT_EQ(f[0].severity, Severity::kNotice);
  f.clear();
  CheckDataFileName(*ParseDataFileName("titledb0001-000.dat"), true, "d/x", &f);
  EXPECT_TRUE(f.empty());
}

TEST(FileRules, D9MergeFileFollowedByTooManyFiles) {
  std::vector<DataFileName> files;
  for (const char* n : {"posdb0000.002.dat", "posdb0001.dat", "posdb0003.dat"})
    files.push_back(*ParseDataFileName(n));
  std::vector<Finding> f;
  CheckMergeFiles(files, "d", &f);
  EXPECT_TRUE(f.empty());  // an interrupted merge of 0001+0003
  files.push_back(*ParseDataFileName("posdb0005.dat"));
  CheckMergeFiles(files, "d", &f);
  ASSERT_TRUE(Has(f, "D9"));
  EXPECT_EQ(f[0].file, "d/posdb0000.002.dat");
}

}  // namespace
}  // namespace shardtool
