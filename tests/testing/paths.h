// Paths of the source tree and of the test data it carries (tests/data/).
#pragma once

#include <string>

namespace shardtool::testing {

inline std::string SourceDir() { return SHARDTOOL_SOURCE_DIR; }
// Files written by the real Gigablast engine, with its own dumps (tests/data/gigablast/README.md).
inline std::string GoldenDir() { return SourceDir() + "/tests/data/gigablast"; }

}  // namespace shardtool::testing
