#include "testing/golden_files.h"

#include <sys/stat.h>

#include "testing/golden_dump.h"

namespace shardtool::testing {

std::string GoldenPath(const std::string& rel) { return GoldenDir() + "/" + rel; }

::testing::AssertionResult GoldenFileExists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "golden file missing: " << path << " (the golden Gigablast files live in "
         << GoldenDir() << ", see its README.md)";
}

::testing::AssertionResult ReadGoldenFile(const std::string& rel, std::string* out) {
  const std::string path = GoldenPath(rel);
  ::testing::AssertionResult exists = GoldenFileExists(path);
  if (!exists) return exists;
  if (!ReadFileBytes(path, out)) {
    return ::testing::AssertionFailure() << "golden file unreadable: " << path;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace shardtool::testing
