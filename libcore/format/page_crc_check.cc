#include "format/page_crc_check.h"

#include <algorithm>

#include "base/crc32c.h"

namespace shardtool {

Status PageCrcCheck::Feed(uint64_t offset, const uint8_t* data, size_t n) {
  if (sc_ == nullptr) return Status::Ok();
  if (offset != next_) {
    page_ = offset / sc_->page_size;
    filled_ = 0;
    crc_ = 0;
    in_page_ = offset % sc_->page_size == 0;
    if (!in_page_) page_++;
  }
  next_ = offset + n;
  uint64_t pos = offset;
  while (n > 0 && page_ < sc_->num_pages()) {
    if (!in_page_) {
      const uint64_t skip = std::min<uint64_t>(n, sc_->PageBegin(page_) - pos);
      pos += skip;
      data += skip;
      n -= static_cast<size_t>(skip);
      if (pos < sc_->PageBegin(page_)) break;
      in_page_ = true;
      continue;
    }
    const uint64_t page_len = sc_->PageEnd(page_) - sc_->PageBegin(page_);
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, page_len - filled_));
    crc_ = Crc32cExtend(crc_, data, take);
    filled_ += take;
    pos += take;
    data += take;
    n -= take;
    if (filled_ < page_len) break;
    if (!sc_->PageMatches(page_, crc_)) {
      const uint64_t begin = sc_->PageBegin(page_);
      next_ = UINT64_MAX;  // a reader that goes on starts a new run
      return CorruptionStatus(file_ + ": offset " + std::to_string(begin) + ": page " +
                              std::to_string(page_) + " bytes [" + std::to_string(begin) + ", " +
                              std::to_string(sc_->PageEnd(page_)) +
                              ") does not match its checksum sidecar (C4)")
          .With("offset", static_cast<int64_t>(begin))
          .With("rule", std::string("C4"));
    }
    page_++;
    filled_ = 0;
    crc_ = 0;
  }
  return Status::Ok();
}

Result<std::optional<CrcSidecar>> LoadUsableSidecar(FileSystem* fs, const std::string& dir,
                                                    const std::string& crc_name,
                                                    uint64_t logical_size) {
  const std::string path = JoinPath(dir, crc_name);
  if (!fs->Exists(path)) return std::optional<CrcSidecar>();
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(fs, path, uint64_t{1} << 31));
  ASSIGN_OR_RETURN(CrcSidecar sc, CrcSidecar::Parse(bytes, path));
  if (sc.data_size != logical_size) return std::optional<CrcSidecar>();
  return std::optional<CrcSidecar>(std::move(sc));
}

}  // namespace shardtool
