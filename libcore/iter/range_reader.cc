#include "iter/range_reader.h"

namespace shardtool {

RangeReader::RangeReader(const DataFile& file, const Key& a, const Key& b)
    : file_(file), a_(a), b_(b) {
  const PageMap& map = *file.map;
  PageMap::Span span = map.RangeSpan(a.data(), b.data());
  // The span starts at a page start: find the page whose record starts there, for its key.
  int64_t p = span.start_page;
  while (p < map.num_pages() && map.page_offset(p) < 0) p++;
  // A headless file cannot be read below its first present part.
  auto first = file.FirstReadable();
  uint64_t start = static_cast<uint64_t>(span.start);
  if (first.ok() && first->first > start) {
    start = first->first;
    seed_ = first->second;
  } else if (p < map.num_pages()) {
    seed_ = start == 0 ? nullptr : map.page_key(p);
  }
  start_ = start;
  end_ = std::max<uint64_t>(start, static_cast<uint64_t>(span.end));
  if (!first.ok()) status_ = first.status();
}

void RangeReader::SeekToStart() {
  if (!status_.ok()) return;
  RecordScanner::Options opt;
  opt.start = start_;
  opt.end = end_;
  opt.seed_key = seed_;
  opt.buffer_size = std::min<uint64_t>(size_t{1} << 20, std::max<uint64_t>(end_ - start_, 4096));
  scanner_ = std::make_unique<RecordScanner>(file_.big.get(), *file_.rdb, opt);
  scanner_->SeekToStart();
  SkipOutside();
}

void RangeReader::Next() {
  scanner_->Next();
  SkipOutside();
}

void RangeReader::SkipOutside() {
  const int ks = file_.rdb->key_size;
  while (scanner_->Valid()) {
    const uint8_t* k = scanner_->record().key;
    if (CompareKeys(k, a_.data(), ks) < 0) {
      scanner_->Next();
      continue;
    }
    if (CompareKeys(k, b_.data(), ks) > 0) {
      // Past the range: stop (keys are sorted in a valid file).
      end_ = scanner_->offset();
      scanner_ = nullptr;
      return;
    }
    return;
  }
}

}  // namespace shardtool
