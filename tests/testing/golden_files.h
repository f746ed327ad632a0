// Access to the golden Gigablast files (tests/data/gigablast, paths.h GoldenDir()) that fails a
// test cleanly when one is missing: a failure naming the file, never a crash on empty data.
//   ASSERT_GOLDEN_FILE(testing::GoldenPath("coll.main.0/posdb0003.dat"));
//   std::string bytes;
//   ASSERT_TRUE(testing::ReadGoldenFile("coll.main.0/titledb0003-000.dat", &bytes));
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "testing/paths.h"

namespace shardtool::testing {

// GoldenDir() + "/" + rel.
std::string GoldenPath(const std::string& rel);
// Success when `path` is a readable regular file; otherwise a failure that names it.
::testing::AssertionResult GoldenFileExists(const std::string& path);
// The whole file GoldenPath(rel) into *out; a failure naming it when it cannot be read.
::testing::AssertionResult ReadGoldenFile(const std::string& rel, std::string* out);

}  // namespace shardtool::testing

#define ASSERT_GOLDEN_FILE(path) ASSERT_TRUE(::shardtool::testing::GoldenFileExists(path))
