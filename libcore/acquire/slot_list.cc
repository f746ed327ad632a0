#include "acquire/slot_list.h"

#include <algorithm>
#include <cstdio>

namespace shardtool {
namespace {

constexpr int64_t kSlotLimit = 8192;  // slots are [0, 8192) (catalog.h)

void AppendRanges(std::string* out, const std::vector<SlotRange>& ranges) {
  out->push_back('[');
  char buf[32];
  for (size_t i = 0; i < ranges.size(); i++) {
    const int n =
        std::snprintf(buf, sizeof(buf), "%s[%d,%d]", i ? "," : "", ranges[i].min, ranges[i].max);
    out->append(buf, static_cast<size_t>(n));
  }
  out->push_back(']');
}

// The periodic form of `ranges` when one exists with at most 16 runs per period.
std::optional<std::string> PeriodicForm(const std::vector<SlotRange>& ranges) {
  if (ranges.size() < 4) return std::nullopt;
  const int32_t from = ranges.front().min;
  const int32_t to = ranges.back().max;
  for (size_t m = 1; m <= 16 && 2 * m <= ranges.size(); m++) {
    const int64_t every = static_cast<int64_t>(ranges[m].min) - from;
    if (every <= 0 || ranges[m - 1].max - from > every) continue;
    std::vector<SlotRange> runs(ranges.begin(), ranges.begin() + static_cast<ptrdiff_t>(m));
    for (SlotRange& r : runs) {
      r.min -= from;
      r.max -= from;
    }
    auto expanded = ExpandPeriodicSlots(from, every, runs, to);
    if (!expanded || *expanded != ranges) continue;
    std::string out =
        "{\"from\":" + std::to_string(from) + ",\"every\":" + std::to_string(every) + ",\"runs\":";
    AppendRanges(&out, runs);
    out += ",\"to\":" + std::to_string(to) + "}";
    return out;
  }
  return std::nullopt;
}

}  // namespace

SlotList::SlotList(std::vector<SlotRange> ranges) : ranges_(std::move(ranges)) {
  if (auto periodic = PeriodicForm(ranges_)) {
    json_ = std::move(*periodic);
    return;
  }
  json_.reserve(ranges_.size() * 12 + 2);
  AppendRanges(&json_, ranges_);
}

std::optional<std::vector<SlotRange>> ExpandPeriodicSlots(int64_t from, int64_t every,
                                                          const std::vector<SlotRange>& runs,
                                                          int64_t to) {
  if (from < 0 || to > kSlotLimit || from >= to || every < 1 || runs.empty()) return std::nullopt;
  int64_t prev_max = 0;
  for (size_t i = 0; i < runs.size(); i++) {
    const SlotRange& r = runs[i];
    if (r.min < 0 || r.min >= r.max || r.max > every || (i > 0 && r.min < prev_max)) {
      return std::nullopt;
    }
    prev_max = r.max;
  }
  std::vector<SlotRange> out;
  for (int64_t base = from; base < to; base += every) {
    for (const SlotRange& r : runs) {
      const int64_t lo = base + r.min;
      if (lo >= to) break;
      const int32_t hi = static_cast<int32_t>(std::min<int64_t>(base + r.max, to));
      if (!out.empty() && out.back().max == lo) {
        out.back().max = hi;
      } else {
        out.push_back({static_cast<int32_t>(lo), hi});
      }
    }
  }
  return out;
}

}  // namespace shardtool
