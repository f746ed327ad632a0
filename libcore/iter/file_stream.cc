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

}  // namespace shardtool
