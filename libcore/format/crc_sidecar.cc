#include "format/crc_sidecar.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"

namespace shardtool {
namespace {

constexpr size_t kMagicSize = 8;

uint64_t CeilDiv(uint64_t a, uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08" PRIx32, v);
  return buf;
}

Status C1(const std::string& file, const std::string& msg) {
  return CorruptionStatus(file + ": " + msg + " (C1)");
}

}  // namespace

bool ValidSidecarPageSize(uint64_t page_size) {
  return page_size >= 512 && page_size <= 32768 && (page_size & (page_size - 1)) == 0;
}

uint64_t CrcSidecar::PageEnd(uint64_t page) const {
  return std::min((page + 1) * page_size, data_size);
}

std::string CrcSidecar::Serialize() const {
  std::string s(kCrcSidecarMagic, kMagicSize);
  AppendLE32(&s, page_size);
  AppendLE64(&s, data_size);
  AppendLE64(&s, page_crcs.size());
  for (uint32_t c : page_crcs) AppendLE32(&s, c);
  AppendLE32(&s, Crc32c(s));
  return s;
}

Result<CrcSidecar> CrcSidecar::Parse(std::string_view bytes, const std::string& file) {
  if (bytes.size() < kCrcSidecarHeaderSize + 4) {
    return C1(file, "sidecar is " + std::to_string(bytes.size()) +
                        " bytes, shorter than the 32-byte minimum");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (std::memcmp(p, kCrcSidecarMagic, kMagicSize) != 0) return C1(file, "bad sidecar magic");
  CrcSidecar sc;
  sc.page_size = LoadLE32(p + 8);
  sc.data_size = LoadLE64(p + 12);
  const uint64_t num_pages = LoadLE64(p + 20);
  if (!ValidSidecarPageSize(sc.page_size)) {
    return C1(file, "sidecar pageSize " + std::to_string(sc.page_size) +
                        " is not a power of two in [512, 32768]");
  }
  if (num_pages != CeilDiv(sc.data_size, sc.page_size)) {
    return C1(file, "sidecar numPages " + std::to_string(num_pages) + " does not cover dataSize " +
                        std::to_string(sc.data_size) + " in pages of " +
                        std::to_string(sc.page_size));
  }
  const uint64_t body = bytes.size() - kCrcSidecarHeaderSize - 4;
  if (body % 4 != 0 || body / 4 != num_pages) {
    return C1(file, "sidecar is " + std::to_string(bytes.size()) + " bytes, numPages " +
                        std::to_string(num_pages) + " needs 32 + 4 * numPages");
  }
  const size_t trailer_at = kCrcSidecarHeaderSize + 4 * num_pages;
  const uint32_t want = LoadLE32(p + trailer_at);
  const uint32_t got = Crc32c(p, trailer_at);
  if (want != got) {
    return CorruptionStatus(file + ": sidecar trailer CRC32C " + Hex32(got) + " does not match " +
                            Hex32(want) + " (C2)");
  }
  sc.page_crcs.resize(num_pages);
  for (uint64_t i = 0; i < num_pages; i++) {
    sc.page_crcs[i] = LoadLE32(p + kCrcSidecarHeaderSize + 4 * i);
  }
  return sc;
}

bool CrcSidecar::PageMatches(uint64_t page, uint32_t crc) const {
  return page < page_crcs.size() && page_crcs[page] == crc;
}

bool CrcSidecar::CheckStale(uint64_t logical_size, const std::string& file,
                            std::vector<Finding>* out) const {
  if (data_size == logical_size) return true;
  AddFinding(out, "C3", Severity::kNotice, file, -1, -1, "",
             "sidecar is stale: it covers " + std::to_string(data_size) + " bytes, the data has " +
                 std::to_string(logical_size) + "; ignored");
  return false;
}

bool CrcSidecar::CheckPage(uint64_t page, std::string_view bytes, const std::string& file,
                           std::vector<Finding>* out) const {
  if (page >= page_crcs.size()) {
    AddFinding(out, "C4", Severity::kError, file, static_cast<int64_t>(PageBegin(page)),
               static_cast<int64_t>(page), "",
               "page " + std::to_string(page) + " is past the sidecar's " +
                   std::to_string(page_crcs.size()) + " pages");
    return false;
  }
  const uint64_t begin = PageBegin(page), end = PageEnd(page);
  const std::string range = "bytes [" + std::to_string(begin) + ", " + std::to_string(end) + ")";
  if (bytes.size() != end - begin) {
    AddFinding(out, "C4", Severity::kError, file, static_cast<int64_t>(begin),
               static_cast<int64_t>(page), "",
               "page " + std::to_string(page) + " " + range + " has " +
                   std::to_string(bytes.size()) + " bytes");
    return false;
  }
  const uint32_t crc = Crc32c(bytes);
  if (crc == page_crcs[page]) return true;
  AddFinding(out, "C4", Severity::kError, file, static_cast<int64_t>(begin),
             static_cast<int64_t>(page), "",
             "page " + std::to_string(page) + " " + range + ": CRC32C " + Hex32(crc) +
                 ", sidecar has " + Hex32(page_crcs[page]));
  return false;
}

uint64_t CrcSidecar::CheckRange(uint64_t offset, std::string_view bytes, const std::string& file,
                                std::vector<Finding>* out) const {
  uint64_t bad = 0;
  if (page_size == 0) return 0;
  // Pages that start before `offset` are not (wholly) present.
  for (uint64_t page = CeilDiv(offset, page_size); page < page_crcs.size(); page++) {
    const uint64_t begin = PageBegin(page), end = PageEnd(page);
    if (end - offset > bytes.size()) break;  // the page is not wholly present
    if (!CheckPage(page, bytes.substr(begin - offset, end - begin), file, out)) bad++;
  }
  return bad;
}

bool CrcSidecar::CheckAgainstData(uint64_t logical_size, uint64_t offset, std::string_view bytes,
                                  const std::string& file, std::vector<Finding>* out) const {
  if (!CheckStale(logical_size, file, out)) return false;
  return CheckRange(offset, bytes, file, out) == 0;
}

CrcSidecarBuilder::CrcSidecarBuilder(uint32_t page_size) : page_size_(page_size) {}

void CrcSidecarBuilder::Add(const uint8_t* data, size_t n) {
  total_ += n;
  while (n > 0) {
    const size_t take = std::min<size_t>(n, page_size_ - fill_);
    crc_ = Crc32cExtend(crc_, data, take);
    fill_ += static_cast<uint32_t>(take);
    data += take;
    n -= take;
    if (fill_ == page_size_) {
      crcs_.push_back(crc_);
      fill_ = 0;
      crc_ = 0;
    }
  }
}

CrcSidecar CrcSidecarBuilder::Snapshot() const {
  CrcSidecar sc;
  sc.page_size = page_size_;
  sc.data_size = total_;
  sc.page_crcs = crcs_;
  if (fill_ > 0) sc.page_crcs.push_back(crc_);
  return sc;
}

void CrcSidecarBuilder::ResumeFrom(const CrcSidecar& sidecar, uint64_t pages) {
  crcs_.assign(sidecar.page_crcs.begin(),
               sidecar.page_crcs.begin() + static_cast<ptrdiff_t>(pages));
  total_ = pages * page_size_;
  fill_ = 0;
  crc_ = 0;
}

CrcSidecar CrcSidecarBuilder::Finish() {
  if (fill_ > 0) crcs_.push_back(crc_);
  CrcSidecar sc;
  sc.page_size = page_size_;
  sc.data_size = total_;
  sc.page_crcs = std::move(crcs_);
  crcs_.clear();
  total_ = 0;
  fill_ = 0;
  crc_ = 0;
  return sc;
}

}  // namespace shardtool
