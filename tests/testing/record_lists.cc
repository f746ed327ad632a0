#include "testing/record_lists.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

namespace shardtool::testing {

void ExpectRecords(const std::vector<TestRecord>& got, const std::vector<TestRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); i++) {
    ASSERT_EQ(got[i].key.ToHex(), want[i].key.ToHex()) << "record " << i;
    ASSERT_EQ(got[i].data, want[i].data) << "record " << i;
  }
}

std::vector<TestRecord> RandomRecords(const RdbInfo& rdb, size_t n, uint64_t seed,
                                      const RandomListOptions& opt) {
  std::mt19937_64 rng(seed);
  const int ks = rdb.key_size;
  auto random_bytes = [&](uint8_t* p, int len) {
    for (int i = 0; i < len; i++) p[i] = static_cast<uint8_t>(rng());
  };
  // Pools of top-6-byte ("hi") and posdb bytes 6..11 ("mid") values.
  std::vector<std::array<uint8_t, 6>> his(static_cast<size_t>(std::max(opt.num_hi, 1)));
  std::vector<std::array<uint8_t, 6>> mids(static_cast<size_t>(std::max(opt.num_mid, 1)));
  for (auto& h : his) random_bytes(h.data(), 6);
  for (auto& m : mids) random_bytes(m.data(), 6);
  const uint8_t clear = rdb.compression == KeyCompression::kPosdb
                            ? 0x06
                            : (rdb.compression == KeyCompression::kHalf ? 0x02 : 0);
  std::vector<Key> keys;
  keys.reserve(n + n / 4);
  while (keys.size() < n + n / 8 + 4) {
    Key k(ks);
    random_bytes(k.data(), ks);
    std::memcpy(k.data() + ks - 6, his[rng() % his.size()].data(), 6);
    if (ks == 18) std::memcpy(k.data() + 6, mids[rng() % mids.size()].data(), 6);
    k.data()[0] &= static_cast<uint8_t>(~clear);
    const bool neg = std::uniform_real_distribution<double>(0, 1)(rng) < opt.negative_fraction;
    k.data()[0] = neg ? (k.data()[0] & 0xfe) : (k.data()[0] | 1);
    keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  keys.resize(std::min(keys.size(), n));
  std::vector<TestRecord> out;
  out.reserve(keys.size());
  for (const Key& k : keys) {
    TestRecord r{k, {}};
    if (!k.negative()) {
      size_t len = 0;
      if (rdb.fixed_data_size > 0) len = static_cast<size_t>(rdb.fixed_data_size);
      if (rdb.fixed_data_size < 0) len = rng() % (static_cast<uint64_t>(opt.max_data_size) + 1);
      r.data.resize(len);
      random_bytes(reinterpret_cast<uint8_t*>(r.data.data()), static_cast<int>(len));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string EncodeRecords(const RdbInfo& rdb, const std::vector<TestRecord>& recs,
                          std::vector<uint64_t>* offsets) {
  RecordEncoder enc(rdb);
  std::string out;
  for (const auto& r : recs) {
    if (offsets) offsets->push_back(out.size());
    enc.Append(r.key.data(), r.data, &out);
  }
  return out;
}

std::vector<DecodedRecord> DecodeAll(const RdbInfo& rdb, std::string_view bytes,
                                     DecodeStatus* status, uint64_t* stop, const uint8_t* seed,
                                     uint64_t base_offset) {
  RecordDecoder dec(rdb);
  if (seed) dec.SeedFromPageKey(seed);
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* p = begin;
  const uint8_t* end = begin + bytes.size();
  std::vector<DecodedRecord> out;
  DecodeStatus st = DecodeStatus::kOk;
  Record rec;
  while (p < end) {
    st = dec.Decode(p, end, &rec);
    if (st != DecodeStatus::kOk) break;
    DecodedRecord d;
    d.key = Key::FromBytes(rec.key, rdb.key_size);
    if (rec.data) d.data.assign(reinterpret_cast<const char*>(rec.data), rec.data_size);
    d.offset = base_offset + static_cast<uint64_t>(p - begin);
    d.size = rec.size;
    d.key_bytes = rec.key_bytes;
    d.negative = rec.negative;
    out.push_back(std::move(d));
    p += rec.size;
  }
  if (status) *status = st;
  if (stop) *stop = base_offset + static_cast<uint64_t>(p - begin);
  return out;
}

PageMap BuildMap(const RdbInfo& rdb, const std::vector<DecodedRecord>& recs) {
  PageMap m(rdb.key_size, rdb.page_size);
  for (const auto& r : recs) m.AddRecord(r.offset, r.size, r.key.data(), r.negative);
  return m;
}

std::vector<Key> RangeRead(const RdbInfo& rdb, std::string_view file, const PageMap& map,
                           const Key& a, const Key& b, bool* ok) {
  *ok = true;
  std::vector<Key> out;
  const PageMap::Span s = map.RangeSpan(a.data(), b.data());
  if (s.start > s.end || s.end > static_cast<int64_t>(file.size())) {
    *ok = false;
    return out;
  }
  if (s.start_page >= map.num_pages()) return out;
  DecodeStatus st;
  auto recs = DecodeAll(
      rdb, file.substr(static_cast<size_t>(s.start), static_cast<size_t>(s.end - s.start)), &st,
      nullptr, map.page_key(s.start_page), static_cast<uint64_t>(s.start));
  if (st != DecodeStatus::kOk) *ok = false;
  for (const auto& r : recs) {
    if (r.key >= a && r.key <= b) out.push_back(r.key);
  }
  return out;
}

std::vector<Key> KeysIn(const std::vector<DecodedRecord>& recs, const Key& a, const Key& b) {
  std::vector<Key> out;
  auto lo = std::lower_bound(recs.begin(), recs.end(), a,
                             [](const DecodedRecord& r, const Key& k) { return r.key < k; });
  for (auto it = lo; it != recs.end() && it->key <= b; ++it) out.push_back(it->key);
  return out;
}

}  // namespace shardtool::testing
