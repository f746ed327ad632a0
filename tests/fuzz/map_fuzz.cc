// libFuzzer target for the page map (doc/format.md §5). Input: byte 0 picks the Rdb (key size and
// page size), bytes 1..8 give a logical data size and a count of missing parts for the structure
// checks, the rest is parsed as a map file. A parsed map must serialize back to the same bytes,
// and the checks, lookups, range spans, the verifier and chopHead must stay in bounds.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/coding.h"
#include "format/page_map.h"
#include "format/rdb_registry.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardtool;
  if (size < 9) return 0;
  const RdbInfo& rdb = AllRdbs()[data[0] % AllRdbs().size()];
  const int ks = rdb.key_size;
  const uint64_t logical = LoadLE32(data + 1) | (uint64_t{data[5]} << 32);
  const int missing = data[6] % 4;
  const uint64_t part = (uint64_t{2048} * rdb.page_size) << (data[7] % 4);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 9), size - 9);
  auto parsed = PageMap::Parse(bytes, ks, rdb.page_size, "fuzz.map");
  if (!parsed.ok()) return 0;
  PageMap m = std::move(parsed).value();
  Check(m.Serialize() == bytes);

  std::vector<Finding> findings;
  m.CheckStructure(logical, missing, part, "fuzz.map", &findings, 4);
  bool sorted = true, offsets_ok = true;
  for (const auto& f : findings) {
    if (f.rule == "M5") sorted = false;
    if (f.rule == "M6") offsets_ok = false;
  }
  const int64_t n = m.num_pages();
  // Lookups with every page key, its neighbours and the last key.
  std::vector<Key> probes = {Key::Min(ks), Key::Max(ks), Key::FromBytes(m.last_key(), ks)};
  for (int64_t p = 0; p < n && p < 64; p++) {
    Key k = Key::FromBytes(m.page_key(p), ks);
    probes.push_back(k);
    Key up = k, down = k;
    if (up.Increment()) probes.push_back(up);
    if (down.Decrement()) probes.push_back(down);
  }
  for (const Key& k : probes) {
    const int64_t page = m.GetPage(k.data());
    Check(page >= 0 && page <= n);
    if (sorted && page < n) {
      // GetPage lands on a page whose key is <= k (or page 0), on a record start (or page 0).
      Check(page == 0 || CompareKeys(m.page_key(page), k.data(), ks) <= 0);
      Check(page == 0 || m.page_offset(page) != -1);
    }
  }
  for (size_t i = 0; i + 1 < probes.size() && i < 16; i++) {
    const Key& a = probes[i] < probes[i + 1] ? probes[i] : probes[i + 1];
    const Key& b = probes[i] < probes[i + 1] ? probes[i + 1] : probes[i];
    PageMap::Span s = m.RangeSpan(a.data(), b.data());
    Check(s.start <= s.end);
    Check(s.start_page >= 0 && s.start_page <= n && s.end_page >= s.start_page && s.end_page <= n);
  }
  for (int64_t p = -1; p <= n + 1; p++) (void)m.GetAbsoluteOffset(p);
  if (offsets_ok && sorted) {
    for (int64_t p = 0; p < n; p++) {
      if (m.page_offset(p) >= 0) {
        Check(m.GetAbsoluteOffset(p) ==
              static_cast<int64_t>(static_cast<uint64_t>(p) * rdb.page_size +
                                   static_cast<uint64_t>(m.page_offset(p)) +
                                   static_cast<uint64_t>(m.chopped_head())));
      }
    }
  }
  // The verifier, fed records that claim the map's own page starts.
  MapVerifier v(m, "fuzz.map", data[8] & 1);
  v.set_limit_per_rule(3);
  uint64_t prev = 0;
  for (int64_t p = 0; p < n && p < 256; p++) {
    const int64_t o = m.GetAbsoluteOffset(p);
    if (o < 0 || static_cast<uint64_t>(o) < prev) continue;
    const uint32_t len = 1 + (data[8] >> 1) * 97;
    v.AddRecord(static_cast<uint64_t>(o), len, m.page_key(p), (m.page_key(p)[0] & 1) == 0);
    prev = static_cast<uint64_t>(o) + len;
  }
  v.Finish(logical, &findings);
  Check(v.m7_count() >= 0 && v.m8_count() >= 0);
  // chopHead: one segment per part.
  const int64_t before = m.chopped_head();
  m.ChopHead(uint64_t{2048} * rdb.page_size);
  Check(m.num_pages() == (n > 2048 ? n - 2048 : 0));
  Check(static_cast<uint64_t>(m.chopped_head()) ==
        static_cast<uint64_t>(before) + uint64_t{2048} * rdb.page_size);
  return 0;
}
