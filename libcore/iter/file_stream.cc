#include "iter/file_stream.h"

namespace shardtool {

Result<std::pair<uint64_t, const uint8_t*>> SeekStart(const DataFile& file, const uint8_t* target) {
  using Start = std::pair<uint64_t, const uint8_t*>;
  const int ks = file.rdb->key_size;
  if (!file.map) {
    if (file.big->headless()) return file.map_status;
    return Start{0, nullptr};
  }
  const PageMap& map = *file.map;
  const PageMap::Span span = map.RangeSpan(target, Key::Max(ks).data());
  const uint64_t start = static_cast<uint64_t>(span.start);
  if (start >= file.big->logical_size()) return Start{file.big->logical_size(), nullptr};
  if (start < file.big->first_offset()) {
    // The span begins in a removed part: only acceptable when the first present record is at or
    // below the target, so that no record >= target can lie in the removed parts.
    ASSIGN_OR_RETURN(Start first, file.FirstReadable());
    if (first.second != nullptr && CompareKeys(first.second, target, ks) > 0) {
      return CorruptionStatus(file.big->path() + ": records at or after key " + KeyHex(target, ks) +
                              " may lie in removed parts (D7)");
    }
    return first;
  }
  return Start{start, start == 0 ? nullptr : map.page_key(span.start_page)};
}

Result<std::pair<uint64_t, const uint8_t*>> ResumeAfterDamage(const DataFile& file,
                                                              uint64_t damaged) {
  using Start = std::pair<uint64_t, const uint8_t*>;
  const uint64_t end = file.big->logical_size();
  if (!file.map) {
    return CorruptionStatus(file.big->path() + ": no page map to find where records resume");
  }
  const PageMap& map = *file.map;
  const uint64_t head = static_cast<uint64_t>(std::max<int64_t>(map.chopped_head(), 0));
  if (damaged < head) return CorruptionStatus(file.big->path() + ": damage before the map");
  int64_t page = static_cast<int64_t>((damaged - head) / map.page_size()) + 1;
  while (page < map.num_pages() && map.page_offset(page) == -1) page++;
  if (page >= map.num_pages()) return Start{end, nullptr};
  const uint64_t at = static_cast<uint64_t>(map.GetAbsoluteOffset(page));
  if (at <= damaged) {
    return CorruptionStatus(file.big->path() +
                            ": the page map names no record start after offset " +
                            std::to_string(damaged));
  }
  if (at >= end) return Start{end, nullptr};
  return Start{at, map.page_key(page)};
}

}  // namespace shardtool
