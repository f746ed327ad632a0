// PageCrcCheck: checks a data file's pages against its checksum sidecar (doc/format.md §10.1) while
// a reader goes through the file's bytes in order, so that a merge never passes on a record of a
// damaged page (issue 16: no laundering). The reader feeds each block it reads before it decodes
// it, and ends its reads on page boundaries (AlignedEnd) so that every byte it decodes belongs to
// a page already checked.
//
// The first page boundary at or after the offset where reading starts is where checking starts
// (a reader that starts inside a page cannot check it); readers start at a page boundary when
// they can. A sidecar that is stale (C3: it covers another size) is not used: verify reports it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "format/crc_sidecar.h"
#include "io/file_system.h"

namespace shardtool {

class PageCrcCheck {
 public:
  PageCrcCheck() = default;  // inactive: Feed accepts everything
  // REQUIRES: sidecar outlives the check; its data_size is the file's logical size.
  PageCrcCheck(const CrcSidecar* sidecar, std::string file)
      : sc_(sidecar), file_(std::move(file)) {}

  bool active() const { return sc_ != nullptr; }
  uint32_t page_size() const { return sc_ != nullptr ? sc_->page_size : 1; }
  // The page boundary at or before `offset`.
  uint64_t PageFloor(uint64_t offset) const { return offset - offset % page_size(); }
  // Where a read that could go up to `stop` (< data end, or the data end) should stop: the last
  // page boundary at or before it, or the data end itself.
  uint64_t AlignedEnd(uint64_t stop, uint64_t data_end) const {
    return stop >= data_end ? data_end : PageFloor(stop);
  }

  // Bytes [offset, offset + n) of the file, fed in order. A feed that does not continue the last
  // one starts a new run at `offset`. Corruption (C4) naming the file, the page and its byte range
  // at the first page whose CRC differs from the sidecar's, with info "offset" (the page's first
  // byte) and "rule"; the pages before it in the feed passed. The next feed starts a new run.
  Status Feed(uint64_t offset, const uint8_t* data, size_t n);

 private:
  const CrcSidecar* sc_ = nullptr;
  std::string file_;
  uint64_t next_ = UINT64_MAX;  // the offset the next feed continues at
  uint64_t page_ = 0;           // the page being summed (when filled_ counts its bytes)
  uint64_t filled_ = 0;         // bytes of page_ summed so far
  bool in_page_ = false;        // false: skipping to the next page boundary
  uint32_t crc_ = 0;
};

// The sidecar of the data file `data_name` in `dir` for reading it checked: nullopt when there is
// none (C5) or it is stale (C3, its data size is not `logical_size`); Corruption (C1, C2) when it
// cannot be parsed.
Result<std::optional<CrcSidecar>> LoadUsableSidecar(FileSystem* fs, const std::string& dir,
                                                    const std::string& crc_name,
                                                    uint64_t logical_size);

}  // namespace shardtool
