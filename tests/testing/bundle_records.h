// The records of a bundle read back (ReadBundle) as TestRecords, every stream, sorted by key.
#pragma once

#include <algorithm>
#include <vector>

#include "jobs/bundle/bundle_writer.h"
#include "testing/record_lists.h"

namespace shardtool::testing {

inline std::vector<TestRecord> BundleRecords(const BundleContents& b, int ks) {
  std::vector<TestRecord> out;
  for (const auto& s : b.streams) {
    for (const auto& r : s) {
      out.push_back({Key::FromBytes(reinterpret_cast<const uint8_t*>(r.key.data()), ks), r.data});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
  return out;
}

}  // namespace shardtool::testing
