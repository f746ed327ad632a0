#include "catalog/ownership_filter.h"

#include <algorithm>

namespace shardtool {

std::vector<SlotRange> CoalesceRanges(std::vector<SlotRange> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::vector<SlotRange> out;
  for (const SlotRange& r : ranges) {
    if (r.max <= r.min) continue;
    if (!out.empty() && r.min <= out.back().max) {
      out.back().max = std::max(out.back().max, r.max);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<SlotRange> SubtractRanges(const std::vector<SlotRange>& a,
                                      const std::vector<SlotRange>& b) {
  std::vector<SlotRange> out;
  size_t j = 0;
  for (SlotRange r : a) {
    while (j < b.size() && b[j].max <= r.min) j++;
    size_t k = j;
    while (r.min < r.max && k < b.size() && b[k].min < r.max) {
      if (b[k].min > r.min) out.push_back({r.min, b[k].min});
      r.min = std::max(r.min, b[k].max);
      k++;
    }
    if (r.min < r.max) out.push_back(r);
  }
  return out;
}

std::vector<SlotRange> IntersectRanges(const std::vector<SlotRange>& a,
                                       const std::vector<SlotRange>& b) {
  std::vector<SlotRange> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int32_t lo = std::max(a[i].min, b[j].min), hi = std::min(a[i].max, b[j].max);
    if (lo < hi) out.push_back({lo, hi});
    if (a[i].max < b[j].max) {
      i++;
    } else {
      j++;
    }
  }
  return out;
}

std::string SlotRangesText(const std::vector<SlotRange>& ranges, size_t max_items) {
  std::string s;
  int64_t slots = 0;
  for (size_t i = 0; i < ranges.size(); i++) {
    slots += ranges[i].max - ranges[i].min;
    if (i < max_items) {
      if (!s.empty()) s += ",";
      s += ranges[i].max == ranges[i].min + 1
               ? std::to_string(ranges[i].min)
               : std::to_string(ranges[i].min) + "-" + std::to_string(ranges[i].max - 1);
    }
  }
  if (ranges.size() > max_items) s += ",...";
  if (s.empty()) return "none";
  return s + " (" + std::to_string(slots) + " slots)";
}

std::vector<SlotRange> OwnedRanges(const CollectionEntry& c, int32_t shard) {
  std::vector<SlotRange> out;
  for (const Chunk& ch : c.chunks) {
    if (ch.shard == shard) out.push_back({ch.min, ch.max});
  }
  return CoalesceRanges(std::move(out));
}

OwnershipFilter::OwnershipFilter(const CollectionEntry& c, int32_t shard, const RdbInfo& rdb)
    : OwnershipFilter(shardtool::OwnedRanges(c, shard), rdb) {}

OwnershipFilter::OwnershipFilter(std::vector<SlotRange> owned, const RdbInfo& rdb)
    : ranges_(CoalesceRanges(std::move(owned))), rdb_(&rdb) {
  for (const SlotRange& r : ranges_) {
    for (int32_t s = std::max(r.min, 0); s < std::min(r.max, kNumSlots); s++) {
      bits_.set(static_cast<size_t>(s));
    }
  }
}

bool OwnershipFilter::IsRangeEntirelyOwned(int a, int b) const {
  if (a >= b) return true;
  if (a < 0 || b > kNumSlots) return false;
  // The run that contains a, if any: the last range with min <= a.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), a,
                             [](int v, const SlotRange& r) { return v < r.min; });
  if (it == ranges_.begin()) return false;
  --it;
  return a < it->max && b <= it->max;
}

}  // namespace shardtool
