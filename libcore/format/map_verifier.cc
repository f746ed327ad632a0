// MapVerifier: the data-dependent map checks of doc/format.md §5.4 (M7, M8, M9 against the data,
// M10, M11), streamed while the data is scanned.
#include <cstring>

#include "format/page_map.h"

namespace shardtool {

MapVerifier::MapVerifier(const PageMap& map, std::string file, bool headless_posdb_exempt)
    : map_(map), file_(std::move(file)) {
  if (headless_posdb_exempt) {
    // The leading run of -1 pages has undefined keys in a map GB regenerated for a headless file.
    while (exempt_below_ < map_.num_pages() && map_.page_offset(exempt_below_) == -1) {
      exempt_below_++;
    }
  }
}

void MapVerifier::Report(PageRule rule, int64_t page, int64_t offset, const uint8_t* key,
                         std::string message) {
  if (count_[rule]++ >= limit_) return;
  AddFinding(&listed_[rule], rule == kM7 ? "M7" : "M8", Severity::kError, file_, offset, page,
             key != nullptr ? KeyHex(key, map_.key_size()) : std::string(), std::move(message));
}

void MapVerifier::ClosePage(int64_t page, int32_t offset, const uint8_t* key) {
  if (page < 0 || page >= map_.num_pages()) return;  // beyond the map: M9 reports the count
  const int ks = map_.key_size();
  // Logical offset of a byte of the page. Unsigned: a corrupt choppedHead wraps, never overflows.
  const uint64_t start =
      static_cast<uint64_t>(page) * map_.page_size() + static_cast<uint64_t>(map_.chopped_head());
  auto at = [start](int64_t in_page) {
    return static_cast<int64_t>(start + static_cast<uint64_t>(in_page));
  };
  const int16_t mo = map_.page_offset(page);
  const uint8_t* mk = map_.page_key(page);
  if (mo >= 0) {
    // M7: the first record starting in the page starts at the map's offset and has its key.
    if (offset < 0) {
      Report(kM7, page, at(mo), mk,
             "map says a record starts at page offset " + std::to_string(mo) +
                 ", but no record starts in the page");
    } else if (offset != mo) {
      Report(kM7, page, at(offset), key,
             "first record in the page starts at page offset " + std::to_string(offset) +
                 ", map says " + std::to_string(mo));
    } else if (std::memcmp(key, mk, static_cast<size_t>(ks)) != 0) {
      Report(kM7, page, at(offset), key,
             "first record's key differs from the page key 0x" + KeyHex(mk, ks));
    }
    return;
  }
  if (page < exempt_below_) return;
  // M8: no record starts in a -1 page, and its key is that of the record spanning into it.
  if (offset >= 0) {
    Report(kM8, page, at(offset), key,
           "a record starts at page offset " + std::to_string(offset) +
               ", but the map says no record starts in the page (-1)");
  } else if (key != nullptr && std::memcmp(key, mk, static_cast<size_t>(ks)) != 0) {
    Report(kM8, page, at(0), mk,
           "page key differs from the key of the record spanning into the page (0x" +
               KeyHex(key, ks) + ")");
  }
}

namespace {
// Copies a key with a constant-size copy per key size (no library call on the per-record path).
inline void CopyKey(uint8_t* dst, const uint8_t* src, int ks) {
  switch (ks) {
    case 12:
      std::memcpy(dst, src, 12);
      break;
    case 16:
      std::memcpy(dst, src, 16);
      break;
    case 18:
      std::memcpy(dst, src, 18);
      break;
    case 24:
      std::memcpy(dst, src, 24);
      break;
    case 28:
      std::memcpy(dst, src, 28);
      break;
    default:
      std::memcpy(dst, src, static_cast<size_t>(ks));
  }
}
}  // namespace

void MapVerifier::AddRecordSlow(uint64_t offset, uint32_t stored_size, const uint8_t* key,
                                bool negative) {
  const size_t ks = static_cast<size_t>(map_.key_size());
  if (negative) {
    neg_++;
  } else {
    pos_++;
  }
  CopyKey(last_, key, static_cast<int>(ks));
  if (!any_) {
    any_ = true;
    first_offset_ = offset;
  }
  const uint64_t ch = static_cast<uint64_t>(map_.chopped_head());
  if (offset < ch) return;  // in the chopped head: no page of this map
  const uint64_t ps = map_.page_size();
  const uint64_t rel = offset - ch;
  const int64_t p = static_cast<int64_t>(rel / ps);
  const int64_t q = static_cast<int64_t>((rel + (stored_size > 0 ? stored_size - 1 : 0)) / ps);
  const int32_t in_page = static_cast<int32_t>(rel % ps);
  if (p < open_page_) return;  // records out of offset order: not comparable
  if (p > open_page_) {
    if (open_page_ >= 0) {
      ClosePage(open_page_, open_offset_, open_key_);
      // Pages no record touched (only when records are not contiguous): nothing starts there.
      const int64_t gap_end = std::min(p, map_.num_pages());
      for (int64_t g = open_page_ + 1; g < gap_end; g++) ClosePage(g, -1, nullptr);
    }
    open_page_ = p;
    open_offset_ = -1;
  }
  // The first record that starts in the page claims it.
  if (open_offset_ < 0) {
    open_offset_ = in_page;
    std::memcpy(open_key_, key, ks);
  }
  if (q > p) {
    // The record spans into pages p+1..q: p and p+1..q-1 are final, q stays open with offset -1.
    ClosePage(p, open_offset_, open_key_);
    const int64_t span_end = std::min(q, map_.num_pages());
    for (int64_t i = p + 1; i < span_end; i++) ClosePage(i, -1, key);
    open_page_ = q;
    open_offset_ = -1;
    std::memcpy(open_key_, key, ks);
  }
  open_page_start_ = ch + static_cast<uint64_t>(open_page_) * ps;
  open_page_end_ = open_page_start_ + ps;
}

void MapVerifier::Finish(uint64_t end_of_data, std::vector<Finding>* out) {
  const int ks = map_.key_size();
  if (open_page_ >= 0) ClosePage(open_page_, open_offset_, open_key_);
  open_page_ = -1;
  for (PageRule rule : {kM7, kM8}) {
    out->insert(out->end(), listed_[rule].begin(), listed_[rule].end());
    listed_[rule].clear();
    if (count_[rule] > limit_) {
      AddFinding(out, rule == kM7 ? "M7" : "M8", Severity::kError, file_, -1, -1, "",
                 std::to_string(count_[rule] - limit_) + " more pages not listed (" +
                     std::to_string(count_[rule]) + " in total)");
    }
  }
  // M9 against the data: the pages the scanned data needs.
  const uint64_t ch = static_cast<uint64_t>(map_.chopped_head());
  const uint64_t ps = map_.page_size();
  const uint64_t data = end_of_data > ch ? end_of_data - ch : 0;
  const int64_t need = static_cast<int64_t>((data + ps - 1) / ps);
  if (need != map_.num_pages()) {
    AddFinding(out, "M9", Severity::kError, file_, -1, -1, "",
               "map has " + std::to_string(map_.num_pages()) + " pages, the data (" +
                   std::to_string(end_of_data) + " bytes) needs " + std::to_string(need));
  }
  // M10: only a scan of the whole file can count its records.
  const bool whole = map_.chopped_head() == 0 && (!any_ || first_offset_ == 0);
  if (whole && (pos_ != map_.num_positive() || neg_ != map_.num_negative())) {
    AddFinding(out, "M10", Severity::kError, file_, -1, -1, "",
               "map counts " + std::to_string(map_.num_positive()) + " positive / " +
                   std::to_string(map_.num_negative()) + " negative records, the data has " +
                   std::to_string(pos_) + " / " + std::to_string(neg_));
  }
  // M11: lastKey is the last record's key (all 00 when there is none).
  if (std::memcmp(map_.last_key(), last_, static_cast<size_t>(ks)) != 0) {
    AddFinding(out, "M11", Severity::kError, file_, -1, -1, KeyHex(map_.last_key(), ks),
               std::string("map lastKey differs from the key of the last record (") +
                   (any_ ? "0x" + KeyHex(last_, ks) : std::string("no records")) + ")");
  }
}

}  // namespace shardtool
