// The page map of a data file (doc/format.md §5): header, per-page first keys and offsets; building
// it while writing data (GB addRecord), reading/writing the map file, lookups, chopHead, and the
// structural checks M1-M6, M9. The data-dependent checks M7, M8, M10, M11 are MapVerifier's.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/finding.h"
#include "format/key.h"

namespace shardtool {

class PageMap {
 public:
  PageMap(int ks, uint32_t page_size);

  // Parses a map file's bytes. M1 failures give Corruption naming `file` and the rule. Header
  // values are taken as stored (CheckStructure judges them). REQUIRES: page_size > 0.
  static Result<PageMap> Parse(std::string_view bytes, int ks, uint32_t page_size,
                               const std::string& file);
  // The map file's bytes (layout of §5.1, segments of 2048 pages).
  std::string Serialize() const;

  // Builder (§5.2): call for each record in file order. offset is the logical (absolute) offset
  // of the record, stored_size its stored bytes, key its full key. REQUIRES: records contiguous
  // from choppedHead on (a record before choppedHead is ignored).
  void AddRecord(uint64_t offset, uint32_t stored_size, const uint8_t* key, bool negative);
  // AddRecord for keys of KS bytes (KS == key_size()), with an inline fast path for a record that
  // lies inside the last page, which an earlier record already claimed (most records of a file
  // with small records): only the header fields change.
  template <int KS>
  void AddRecordT(uint64_t offset, uint32_t stored_size, const uint8_t* key, bool negative) {
    const uint64_t rel = offset - static_cast<uint64_t>(chopped_head_);
    const uint64_t pages = offsets_.size();
    if (offset >= static_cast<uint64_t>(chopped_head_) && pages > 0 &&
        rel >= (pages - 1) * page_size_ && rel + stored_size <= pages * page_size_ &&
        offsets_.back() != -1) {
      CopyKeyT<KS>(last_key_, key);
      end_offset_ = static_cast<int64_t>(offset + stored_size);
      (negative ? num_negative_ : num_positive_)++;
      return;
    }
    AddRecord(offset, stored_size, key, negative);
  }

  int key_size() const { return ks_; }
  uint32_t page_size() const { return page_size_; }
  int64_t end_offset() const { return end_offset_; }
  int64_t chopped_head() const { return chopped_head_; }
  int64_t num_positive() const { return num_positive_; }
  int64_t num_negative() const { return num_negative_; }
  const uint8_t* last_key() const { return last_key_; }
  int64_t num_pages() const { return static_cast<int64_t>(offsets_.size()); }
  const uint8_t* page_key(int64_t p) const { return &keys_[static_cast<size_t>(p) * ks_]; }
  int16_t page_offset(int64_t p) const { return offsets_[static_cast<size_t>(p)]; }

  // Header setters (tests, regeneration).
  void set_end_offset(int64_t v) { end_offset_ = v; }
  void set_chopped_head(int64_t v) { chopped_head_ = v; }
  void set_counts(int64_t pos, int64_t neg) {
    num_positive_ = pos;
    num_negative_ = neg;
  }

  // §5.3 getAbsoluteOffset(p).
  int64_t GetAbsoluteOffset(int64_t page) const;
  // §5.3 getPage(k) (GB's algorithm). Among pages with equal keys the binary search takes the
  // first, so the result is the earliest page GB could return. An empty map gives 0.
  int64_t GetPage(const uint8_t* key) const;
  // Byte span of a range read [a, b] (§5.3, with shardtool's start = getPage(a-1)): decode from
  // `start` seeded with page_key(start_page), drop keys outside [a, b]. start_page is moved past
  // -1 pages (only page 0 of a headless map can be one) so that its key is the key of the record
  // at `start`. start_page == num_pages() means there is nothing to read (start == end).
  struct Span {
    int64_t start_page = 0;
    int64_t end_page = 0;
    int64_t start = 0;  // absolute offset
    int64_t end = 0;    // absolute offset (exclusive)
  };
  Span RangeSpan(const uint8_t* a, const uint8_t* b) const;

  // §5.5 chopHead(part_size): drop the first part_size/page_size/2048 segments.
  void ChopHead(uint64_t part_size);

  // Structural checks against the data (§5.4): M2 (with logical size L and the number of missing
  // leading parts), M3, M4, M5, M6, M9. Findings name `file` (the map's name). M5 and M6 findings
  // give the page and the byte offset of the bad entry in the map file; M2 gives offset 0 (the
  // endOffset field), M4 offset 8 (choppedHead), M3 and M9 no offset. At most limit_per_rule
  // findings per rule are listed, followed by one summary finding with the exact total.
  void CheckStructure(uint64_t logical_size, int missing_leading_parts, uint64_t part_size,
                      const std::string& file, std::vector<Finding>* out,
                      int limit_per_rule = 20) const;

  // Byte offsets of page p's key and offset entries in the map file (segment layout of §5.1).
  int64_t KeyEntryOffset(int64_t page) const;
  int64_t OffsetEntryOffset(int64_t page) const;

 private:
  int ks_;
  uint32_t page_size_;
  int64_t end_offset_ = 0;
  int64_t chopped_head_ = 0;
  int64_t num_positive_ = 0;
  int64_t num_negative_ = 0;
  uint8_t last_key_[kMaxKeySize] = {};
  std::vector<uint8_t> keys_;     // num_pages * ks
  std::vector<int16_t> offsets_;  // num_pages
};

// Checks a stored map against the records of its data as they are scanned, in file order, with
// memory independent of the file size beyond the stored map itself: M7, M8, M9 (against the data),
// M10, M11. Feed every record, then Finish.
//
// The verifier rebuilds each page's entry as §5.2 would and compares it with the map when the scan
// moves past the page. Pages before the first fed record's page (a scan that starts mid-file, e.g.
// in a headless file) and pages at or beyond the map's numPages (M9's business) are not compared.
// M10 is checked only when the scan starts at offset 0 of an unchopped map; M11 always. Findings
// give the page and the logical data offset (the record's, or the page start's) for M7/M8, and no
// offset for M9-M11.
class MapVerifier {
 public:
  // `map` must outlive the verifier. headless_posdb_exempt: the -1 leading pages of a map GB
  // regenerated for a headless posdb file are exempt from M8.
  MapVerifier(const PageMap& map, std::string file, bool headless_posdb_exempt = false);
  // REQUIRES: records in increasing offset order, as decoded from the data. Inline fast path for
  // a record inside the page being rebuilt, which an earlier record already claimed.
  void AddRecord(uint64_t offset, uint32_t stored_size, const uint8_t* key, bool negative) {
    switch (map_.key_size()) {
      case 12:
        return AddRecordT<12>(offset, stored_size, key, negative);
      case 16:
        return AddRecordT<16>(offset, stored_size, key, negative);
      case 18:
        return AddRecordT<18>(offset, stored_size, key, negative);
      case 24:
        return AddRecordT<24>(offset, stored_size, key, negative);
      default:
        return AddRecordT<28>(offset, stored_size, key, negative);
    }
  }
  // AddRecord for keys of KS bytes (KS == the map's key size), for loops compiled per key size:
  // the fast path is a compare and a few stores, inlined into the caller.
  template <int KS>
  [[gnu::always_inline]] inline void AddRecordT(uint64_t offset, uint32_t stored_size,
                                                const uint8_t* key, bool negative) {
    if (offset + stored_size <= open_page_end_ && open_offset_ >= 0 && offset >= open_page_start_)
        [[likely]] {
      (negative ? neg_ : pos_)++;
      CopyKeyT<KS>(last_, key);
      return;
    }
    AddRecordSlow(offset, stored_size, key, negative);
  }
  // end_of_data: logical offset where the scan stopped (the data's end if it decoded completely).
  // Appends the findings: the first `limit` of M7 and of M8, each followed by a summary finding
  // when more were found, then M9, M10, M11.
  void Finish(uint64_t end_of_data, std::vector<Finding>* out);
  // Findings so far are capped per rule (first `limit` of each), counts are exact.
  void set_limit_per_rule(int limit) { limit_ = limit; }
  // Exact number of pages that broke M7 / M8 (valid after Finish).
  int64_t m7_count() const { return count_[kM7]; }
  int64_t m8_count() const { return count_[kM8]; }

 private:
  void AddRecordSlow(uint64_t offset, uint32_t stored_size, const uint8_t* key, bool negative);
  // Compares the rebuilt entry of page `page` (offset -1 = no record starts there; key nullptr =
  // unknown) with the map's.
  void ClosePage(int64_t page, int32_t offset, const uint8_t* key);
  enum PageRule { kM7, kM8 };
  void Report(PageRule rule, int64_t page, int64_t offset, const uint8_t* key, std::string message);

  const PageMap& map_;
  std::string file_;
  int64_t exempt_below_ = 0;  // pages below this are exempt from M8 (headless posdb)
  int limit_ = 20;
  std::vector<Finding> listed_[2];  // the first limit_ findings of M7 and of M8
  int64_t count_[2] = {0, 0};       // exact counts
  int64_t pos_ = 0, neg_ = 0;
  bool any_ = false;
  uint64_t first_offset_ = 0;
  uint8_t last_[kMaxKeySize] = {};
  // The page being rebuilt: the last page the last record touched.
  int64_t open_page_ = -1;
  uint64_t open_page_start_ = 0, open_page_end_ = 0;  // absolute byte range of open_page_
  int32_t open_offset_ = -1;
  uint8_t open_key_[kMaxKeySize] = {};
};

}  // namespace shardtool
