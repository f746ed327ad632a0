// Paths of the source tree and of ../shared for tests.
#pragma once

#include <string>

namespace shardtool::testing {

inline std::string SharedDir() { return SHARDTOOL_SHARED_DIR; }
inline std::string GoldenDir() { return std::string(SHARDTOOL_SHARED_DIR) + "/golden/gigablast"; }
inline std::string SourceDir() { return SHARDTOOL_SOURCE_DIR; }

}  // namespace shardtool::testing
