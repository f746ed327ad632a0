// The checksum sidecar <db>NNNN.crc (doc/format.md §10.1): a CRC32C per page of a data file's
// logical bytes, so verify can find damaged pages without decoding. Gigablast ignores it.
//
//   offset      size  field
//   0           8     magic "SHCRC001"
//   8           u32   pageSize (the Rdb's PS)
//   12          u64   dataSize covered (logical size L)
//   20          u64   numPages = ceil(dataSize / pageSize)
//   28          4·np  u32 CRC32C of page p = bytes [p·pageSize, min((p+1)·pageSize, dataSize))
//   28+4·np     u32   CRC32C of bytes [0, 28+4·np)
//
// Invariants of a parsed or built CrcSidecar: page_size is a power of two in [512, 32768] and
// page_crcs.size() == ceil(data_size / page_size). Rules: C1 (structure), C2 (trailer CRC) on
// parse; C3 (stale: dataSize != L, a notice; the sidecar is then ignored) and C4 (a page CRC
// mismatch) against the data. Pages in missing leading parts of a headless file are not checked:
// callers pass only the bytes they have, starting at a page boundary. C5 (no sidecar) is the
// caller's concern.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/finding.h"

namespace shardtool {

constexpr char kCrcSidecarMagic[] = "SHCRC001";  // 8 bytes on disk, no NUL
constexpr size_t kCrcSidecarHeaderSize = 28;

// True for a power of two in [512, 32768].
bool ValidSidecarPageSize(uint64_t page_size);

struct CrcSidecar {
  uint32_t page_size = 0;
  uint64_t data_size = 0;
  std::vector<uint32_t> page_crcs;

  uint64_t num_pages() const { return page_crcs.size(); }
  // Byte range [PageBegin, PageEnd) of a page. REQUIRES: page < num_pages().
  uint64_t PageBegin(uint64_t page) const { return page * page_size; }
  uint64_t PageEnd(uint64_t page) const;

  // The file's bytes (32 + 4·numPages).
  std::string Serialize() const;
  // Parses a sidecar file. Corruption naming `file` and C1 or C2.
  static Result<CrcSidecar> Parse(std::string_view bytes, const std::string& file);

  // False when page is out of range or its CRC differs.
  bool PageMatches(uint64_t page, uint32_t crc) const;
  // Findings below carry `file` (the caller's choice: the data file the pages belong to), the
  // page's logical offset and number.
  // C3: false (and a notice) when data_size != logical_size.
  bool CheckStale(uint64_t logical_size, const std::string& file, std::vector<Finding>* out) const;
  // C4 for one page: `bytes` are the page's data. An error finding (with page and byte range)
  // when its length or CRC differs. Returns true when it matches.
  bool CheckPage(uint64_t page, std::string_view bytes, const std::string& file,
                 std::vector<Finding>* out) const;
  // C4 for the logical bytes [offset, offset + bytes.size()): every page wholly inside them (the
  // short last page when they reach data_size). offset is normally a multiple of page_size (a part
  // boundary); a page that starts before it is skipped. Bytes past data_size are ignored (C3
  // covers a size change). Returns the number of mismatching pages.
  uint64_t CheckRange(uint64_t offset, std::string_view bytes, const std::string& file,
                      std::vector<Finding>* out) const;
  // C3, then (only when not stale) CheckRange: the whole check of a data file whose logical size
  // is logical_size and whose present bytes start at `offset` (0, or the first present part's
  // offset of a headless file). Returns true when no C3 or C4 finding was added.
  bool CheckAgainstData(uint64_t logical_size, uint64_t offset, std::string_view bytes,
                        const std::string& file, std::vector<Finding>* out) const;
};

// Builds a sidecar from the data file's logical bytes fed in order, in any chunking.
class CrcSidecarBuilder {
 public:
  // REQUIRES: ValidSidecarPageSize(page_size).
  explicit CrcSidecarBuilder(uint32_t page_size);
  void Add(const uint8_t* data, size_t n);
  void Add(std::string_view data) {
    Add(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  uint64_t bytes_added() const { return total_; }
  // The sidecar of everything added; the builder is reset to empty.
  CrcSidecar Finish();
  // The sidecar of everything added so far; the builder goes on (a checkpoint of a file still
  // being written).
  CrcSidecar Snapshot() const;
  // Continues a file whose first `pages` whole pages `sidecar` covers: adopts their CRCs, and the
  // caller then adds the bytes that follow them. REQUIRES: nothing added yet, and `pages` whole
  // pages in `sidecar` (pages * page size <= its data size).
  void ResumeFrom(const CrcSidecar& sidecar, uint64_t pages);

 private:
  uint32_t page_size_;
  uint64_t total_ = 0;
  uint32_t fill_ = 0;  // bytes of the current page added so far
  uint32_t crc_ = 0;   // running CRC of the current page
  std::vector<uint32_t> crcs_;
};

}  // namespace shardtool
