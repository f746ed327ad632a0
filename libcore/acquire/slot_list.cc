#include "acquire/slot_list.h"

#include <cstdio>

namespace shardtool {

SlotList::SlotList(std::vector<SlotRange> ranges) : ranges_(std::move(ranges)) {
  json_.reserve(ranges_.size() * 12 + 2);
  json_.push_back('[');
  char buf[32];
  for (size_t i = 0; i < ranges_.size(); i++) {
    const int n =
        std::snprintf(buf, sizeof(buf), "%s[%d,%d]", i ? "," : "", ranges_[i].min, ranges_[i].max);
    json_.append(buf, static_cast<size_t>(n));
  }
  json_.push_back(']');
}

}  // namespace shardtool
