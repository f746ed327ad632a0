// PageMap::CheckStructure: the checks of doc/format.md §5.4 that need only the map, the logical
// data size and the part layout (M2, M3, M4, M5, M6, M9).
#include <algorithm>

#include "format/page_map.h"

namespace shardtool {
namespace {

constexpr int64_t kCheckPagesPerSegment = 2048;

using Wide = __int128;  // exact arithmetic on corrupt i64 header fields

// Collects the findings of one rule, listing the first `limit` and counting the rest.
class RuleFindings {
 public:
  RuleFindings(const char* rule, const std::string& file, int limit, std::vector<Finding>* out)
      : rule_(rule), file_(file), limit_(limit), out_(out) {}
  ~RuleFindings() {
    if (count_ > limit_) {
      AddFinding(out_, rule_, Severity::kError, file_, -1, -1, "",
                 std::to_string(count_ - limit_) + " more not listed (" + std::to_string(count_) +
                     " in total)");
    }
  }
  void Add(int64_t offset, int64_t page, std::string key, std::string message) {
    if (count_++ < limit_) {
      AddFinding(out_, rule_, Severity::kError, file_, offset, page, std::move(key),
                 std::move(message));
    }
  }

 private:
  const char* rule_;
  const std::string& file_;
  int64_t limit_;
  std::vector<Finding>* out_;
  int64_t count_ = 0;
};

std::string I128ToString(Wide v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  std::string s;
  while (v != 0) {
    const int digit = static_cast<int>(v % 10);
    s.push_back(static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace

int64_t PageMap::KeyEntryOffset(int64_t page) const {
  const int64_t seg = page / kCheckPagesPerSegment, i = page % kCheckPagesPerSegment;
  return 32 + ks_ + seg * kCheckPagesPerSegment * (ks_ + 2) + i * ks_;
}

int64_t PageMap::OffsetEntryOffset(int64_t page) const {
  const int64_t seg = page / kCheckPagesPerSegment, i = page % kCheckPagesPerSegment;
  const int64_t in_seg = std::min(kCheckPagesPerSegment, num_pages() - seg * kCheckPagesPerSegment);
  return 32 + ks_ + seg * kCheckPagesPerSegment * (ks_ + 2) + in_seg * ks_ + 2 * i;
}

void PageMap::CheckStructure(uint64_t logical_size, int missing_leading_parts, uint64_t part_size,
                             const std::string& file, std::vector<Finding>* out,
                             int limit_per_rule) const {
  const Wide L = static_cast<Wide>(logical_size);
  const Wide ps = page_size_;
  const Wide n = num_pages();
  const Wide mapped = static_cast<Wide>(end_offset_) - chopped_head_;

  // M2: endOffset - choppedHead == L; under 12 bytes off only a notice when part 0 is missing.
  if (mapped != L) {
    const Wide diff = mapped > L ? mapped - L : L - mapped;
    const bool tolerated = missing_leading_parts > 0 && diff < 12;
    AddFinding(out, "M2", tolerated ? Severity::kNotice : Severity::kError, file, 0, -1, "",
               "map covers " + I128ToString(mapped) + " bytes (endOffset " +
                   std::to_string(end_offset_) + " - choppedHead " + std::to_string(chopped_head_) +
                   ") but the data is " + std::to_string(logical_size) + " bytes" +
                   (tolerated ? " (tolerated: headless, under 12 bytes off)" : ""));
  }
  // M3: (numPages-1)*PS <= L <= (numPages+1)*PS.
  if ((n - 1) * ps > L || (n + 1) * ps < L) {
    AddFinding(out, "M3", Severity::kError, file, -1, -1, "",
               "not mapped with page size " + std::to_string(page_size_) + ": " + I128ToString(n) +
                   " pages for " + std::to_string(logical_size) + " bytes");
  }
  // M4: choppedHead is a multiple of 2048*PS and covers no more than the missing leading parts.
  {
    const Wide unit = kCheckPagesPerSegment * ps;
    std::string why;
    if (chopped_head_ < 0 || chopped_head_ % unit != 0) {
      why = "is not a non-negative multiple of " + I128ToString(unit);
    } else if (part_size > 0 && static_cast<uint64_t>(chopped_head_) / part_size >
                                    static_cast<uint64_t>(std::max(missing_leading_parts, 0))) {
      why = "covers " + std::to_string(static_cast<uint64_t>(chopped_head_) / part_size) +
            " parts but " + std::to_string(missing_leading_parts) + " leading parts are missing";
    }
    if (!why.empty()) {
      AddFinding(out, "M4", Severity::kError, file, 8, -1, "",
                 "choppedHead " + std::to_string(chopped_head_) + " " + why);
    }
  }
  // M5: page keys do not decrease. M6: offsets are -1 or in [0, PS).
  {
    RuleFindings m5("M5", file, limit_per_rule, out);
    for (int64_t p = 1; p < num_pages(); p++) {
      if (CompareKeys(page_key(p), page_key(p - 1), ks_) < 0) {
        m5.Add(KeyEntryOffset(p), p, KeyHex(page_key(p), ks_),
               "page key is less than the key of page " + std::to_string(p - 1) + " (0x" +
                   KeyHex(page_key(p - 1), ks_) + ")");
      }
    }
  }
  {
    RuleFindings m6("M6", file, limit_per_rule, out);
    for (int64_t p = 0; p < num_pages(); p++) {
      const int16_t o = page_offset(p);
      if (o < -1 || o >= static_cast<int64_t>(page_size_)) {
        m6.Add(OffsetEntryOffset(p), p, "",
               "page offset " + std::to_string(o) + " is neither -1 nor in [0, " +
                   std::to_string(page_size_) + ")");
      }
    }
  }
  // M9: numPages == ceil((endOffset - choppedHead) / PS).
  if (mapped < 0 || n != (mapped + ps - 1) / ps) {
    AddFinding(out, "M9", Severity::kError, file, -1, -1, "",
               I128ToString(n) + " pages, but endOffset - choppedHead = " + I128ToString(mapped) +
                   " needs " +
                   (mapped < 0 ? std::string("a non-negative size")
                               : I128ToString((mapped + ps - 1) / ps)));
  }
}

}  // namespace shardtool
