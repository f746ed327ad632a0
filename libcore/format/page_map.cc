#include "format/page_map.h"

#include <algorithm>
#include <cstring>

#include "base/coding.h"

namespace shardtool {
namespace {

constexpr int64_t kPagesPerSegment = 2048;  // GB PAGES_PER_SEGMENT
constexpr size_t kHeaderSize = 32;          // endOffset, choppedHead, numPositive, numNegative

// a - 1 on a raw key with borrow; false (key unchanged) when a is KEYMIN.
bool DecrementKey(uint8_t* k, int ks) {
  int i = 0;
  while (i < ks && k[i] == 0) i++;
  if (i == ks) return false;
  k[i]--;
  for (int j = 0; j < i; j++) k[j] = 0xff;
  return true;
}

}  // namespace

PageMap::PageMap(int ks, uint32_t page_size) : ks_(ks), page_size_(page_size) {}

Result<PageMap> PageMap::Parse(std::string_view bytes, int ks, uint32_t page_size,
                               const std::string& file) {
  const size_t head = kHeaderSize + static_cast<size_t>(ks);
  const size_t entry = static_cast<size_t>(ks) + 2;
  if (bytes.size() < head || (bytes.size() - head) % entry != 0) {
    return CorruptionStatus(file + ": bad map size " + std::to_string(bytes.size()) + ": want 32+" +
                            std::to_string(ks) + "+n*" + std::to_string(entry) + " bytes (M1)")
        .With("rule", "M1")
        .With("file", file);
  }
  PageMap m(ks, page_size);
  const uint8_t* b = reinterpret_cast<const uint8_t*>(bytes.data());
  m.end_offset_ = LoadLEi64(b);
  m.chopped_head_ = LoadLEi64(b + 8);
  m.num_positive_ = LoadLEi64(b + 16);
  m.num_negative_ = LoadLEi64(b + 24);
  std::memcpy(m.last_key_, b + kHeaderSize, static_cast<size_t>(ks));
  const int64_t n = static_cast<int64_t>((bytes.size() - head) / entry);
  m.keys_.resize(static_cast<size_t>(n) * static_cast<size_t>(ks));
  m.offsets_.resize(static_cast<size_t>(n));
  // Segments of up to 2048 pages: all keys of the segment, then all its i16 offsets.
  const uint8_t* s = b + head;
  for (int64_t first = 0; first < n; first += kPagesPerSegment) {
    const size_t cnt = static_cast<size_t>(std::min(kPagesPerSegment, n - first));
    std::memcpy(&m.keys_[static_cast<size_t>(first) * static_cast<size_t>(ks)], s,
                cnt * static_cast<size_t>(ks));
    s += cnt * static_cast<size_t>(ks);
    for (size_t i = 0; i < cnt; i++)
      m.offsets_[static_cast<size_t>(first) + i] = LoadLEi16(s + 2 * i);
    s += 2 * cnt;
  }
  return m;
}

std::string PageMap::Serialize() const {
  const int64_t n = num_pages();
  const size_t ks = static_cast<size_t>(ks_);
  std::string out;
  out.reserve(kHeaderSize + ks + static_cast<size_t>(n) * (ks + 2));
  AppendLE64(&out, static_cast<uint64_t>(end_offset_));
  AppendLE64(&out, static_cast<uint64_t>(chopped_head_));
  AppendLE64(&out, static_cast<uint64_t>(num_positive_));
  AppendLE64(&out, static_cast<uint64_t>(num_negative_));
  out.append(reinterpret_cast<const char*>(last_key_), ks);
  for (int64_t first = 0; first < n; first += kPagesPerSegment) {
    const size_t cnt = static_cast<size_t>(std::min(kPagesPerSegment, n - first));
    out.append(reinterpret_cast<const char*>(&keys_[static_cast<size_t>(first) * ks]), cnt * ks);
    for (size_t i = 0; i < cnt; i++) {
      AppendLE16(&out, static_cast<uint16_t>(offsets_[static_cast<size_t>(first) + i]));
    }
  }
  return out;
}

void PageMap::AddRecord(uint64_t offset, uint32_t stored_size, const uint8_t* key, bool negative) {
  // GB RdbMap::addRecord: p = first page the record touches, q = the last.
  if (offset < static_cast<uint64_t>(chopped_head_)) return;
  const uint64_t rel = offset - static_cast<uint64_t>(chopped_head_);
  const uint64_t ps = page_size_;
  const uint64_t last_byte = rel + (stored_size > 0 ? stored_size - 1 : 0);
  const size_t p = static_cast<size_t>(rel / ps), q = static_cast<size_t>(last_byte / ps);
  const size_t ks = static_cast<size_t>(ks_);
  // numPages = q + 1; new pages start with offset -1.
  offsets_.resize(q + 1, -1);
  keys_.resize((q + 1) * ks, 0);
  // Pages the record spans into carry its key (their offsets stay -1).
  for (size_t i = p + 1; i <= q; i++) std::memcpy(&keys_[i * ks], key, ks);
  // The first record that starts in page p claims it.
  if (offsets_[p] == -1) {
    offsets_[p] = static_cast<int16_t>(rel - p * ps);
    std::memcpy(&keys_[p * ks], key, ks);
  }
  std::memcpy(last_key_, key, ks);
  end_offset_ = static_cast<int64_t>(offset + stored_size);
  if (negative) {
    num_negative_++;
  } else {
    num_positive_++;
  }
}

int64_t PageMap::GetAbsoluteOffset(int64_t page) const {
  const int64_t n = num_pages();
  if (page < 0) page = 0;
  while (page < n && offsets_[static_cast<size_t>(page)] == -1) page++;
  if (page >= n) return end_offset_;
  // Unsigned arithmetic: a corrupt choppedHead must not overflow (wraps instead).
  return static_cast<int64_t>(static_cast<uint64_t>(page) * page_size_ +
                              static_cast<uint64_t>(offsets_[static_cast<size_t>(page)]) +
                              static_cast<uint64_t>(chopped_head_));
}

int64_t PageMap::GetPage(const uint8_t* key) const {
  const int64_t n = num_pages();
  if (CompareKeys(key, last_key_, ks_) > 0) return n;
  if (n == 0) return 0;
  // Binary search for the first page whose key is >= key (the last page if none).
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (CompareKeys(page_key(mid), key, ks_) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  int64_t p = lo == n ? n - 1 : lo;
  // Back to a page whose key is <= key, then to a page in which a record starts.
  while (p > 0 && CompareKeys(page_key(p), key, ks_) > 0) p--;
  while (p > 0 && offsets_[static_cast<size_t>(p)] == -1) p--;
  return p;
}

PageMap::Span PageMap::RangeSpan(const uint8_t* a, const uint8_t* b) const {
  const int64_t n = num_pages();
  Span s;
  // start = getPage(a - 1) [sd]: an exact duplicate of a at the end of the previous page is not
  // skipped. Page 0 when a is KEYMIN.
  uint8_t am1[kMaxKeySize];
  std::memcpy(am1, a, static_cast<size_t>(ks_));
  s.start_page = DecrementKey(am1, ks_) ? GetPage(am1) : 0;
  // Decoding starts at a record start, seeded with that page's key: skip -1 pages.
  while (s.start_page < n && offsets_[static_cast<size_t>(s.start_page)] == -1) s.start_page++;
  // end: past every page whose key is <= b, then past pages no record starts in.
  int64_t e = GetPage(b);
  while (e < n && CompareKeys(page_key(e), b, ks_) <= 0) e++;
  while (e < n && offsets_[static_cast<size_t>(e)] == -1) e++;
  s.end_page = std::max(e, s.start_page);
  s.start = GetAbsoluteOffset(s.start_page);
  s.end = std::max(GetAbsoluteOffset(s.end_page), s.start);
  return s;
}

void PageMap::ChopHead(uint64_t part_size) {
  const uint64_t segs = part_size / page_size_ / static_cast<uint64_t>(kPagesPerSegment);
  if (segs == 0) return;
  const uint64_t n = static_cast<uint64_t>(num_pages());
  // Pages dropped: 2048 per segment, at most all of them (segs * 2048 <= part_size / PS).
  const uint64_t drop_pages = std::min(n, segs * kPagesPerSegment);
  const size_t ks = static_cast<size_t>(ks_);
  offsets_.erase(offsets_.begin(), offsets_.begin() + static_cast<ptrdiff_t>(drop_pages));
  keys_.erase(keys_.begin(), keys_.begin() + static_cast<ptrdiff_t>(drop_pages * ks));
  chopped_head_ = static_cast<int64_t>(static_cast<uint64_t>(chopped_head_) +
                                       segs * kPagesPerSegment * page_size_);
}

}  // namespace shardtool
