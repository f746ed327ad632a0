// The page map of a data file (FORMAT.md §5): header, per-page first keys and offsets; building it
// while writing data (GB addRecord), reading/writing the map file, lookups, chopHead, and the
// structural checks M1-M6, M9. The data-dependent checks M7, M8, M10, M11 are MapVerifier's.
#pragma once

#include <cstdint>
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

  // Parses a map file's bytes. M1 failures give Corruption naming `file` and the rule.
  static Result<PageMap> Parse(std::string_view bytes, int ks, uint32_t page_size,
                               const std::string& file);
  // The map file's bytes (layout of §5.1, segments of 2048 pages).
  std::string Serialize() const;

  // Builder (§5.2): call for each record in file order. offset is the logical (absolute) offset
  // of the record, stored_size its stored bytes, key its full key.
  void AddRecord(uint64_t offset, uint32_t stored_size, const uint8_t* key, bool negative);

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
  void set_counts(int64_t pos, int64_t neg) { num_positive_ = pos; num_negative_ = neg; }

  // §5.3 getAbsoluteOffset(p).
  int64_t GetAbsoluteOffset(int64_t page) const;
  // §5.3 getPage(k) (GB's algorithm).
  int64_t GetPage(const uint8_t* key) const;
  // Byte span of a range read [a, b] (§5.3, with shardtool's start = getPage(a-1)): decode from
  // `start` seeded with page_key(start_page), drop keys outside [a, b].
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
  // leading parts), M3, M4, M5, M6, M9. Findings name `file` (the map's name).
  void CheckStructure(uint64_t logical_size, int missing_leading_parts, uint64_t part_size,
                      const std::string& file, std::vector<Finding>* out) const;

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
class MapVerifier {
 public:
  // `map` must outlive the verifier. headless_posdb_exempt: the -1 leading pages of a map GB
  // regenerated for a headless posdb file are exempt from M8.
  MapVerifier(const PageMap& map, std::string file, bool headless_posdb_exempt = false);
  void AddRecord(uint64_t offset, uint32_t stored_size, const uint8_t* key, bool negative);
  // end_of_data: logical offset where the scan stopped (the data's end if it decoded completely).
  void Finish(uint64_t end_of_data, std::vector<Finding>* out);
  // Findings so far are capped per rule (first `limit` of each), counts are exact.
  void set_limit_per_rule(int limit) { limit_ = limit; }

 private:
  void ClosePagesBefore(int64_t page, std::vector<Finding>* out);
  const PageMap& map_;
  std::string file_;
  bool exempt_;
  int limit_ = 20;
  // streaming state: the rebuilt entry of the current page
  int64_t cur_page_ = -1;
  int64_t checked_through_ = -1;
  std::vector<Finding> pending_;
  int64_t pos_ = 0, neg_ = 0;
  uint8_t last_[kMaxKeySize] = {};
  uint64_t last_end_ = 0;
  bool any_ = false;
  // state of the page being rebuilt
  int16_t cur_offset_ = -1;
  uint8_t cur_key_[kMaxKeySize] = {};
  int64_t count_m7_ = 0, count_m8_ = 0;
};

}  // namespace shardtool
