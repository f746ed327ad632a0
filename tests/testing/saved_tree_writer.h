// Writes saved trees the way Gigablast does (RdbTree::fastSave, RdbBuckets::fastSave) for tests:
// valid files to plant in a working dir, and the base of corrupted ones.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/coding.h"
#include "format/key.h"

namespace shardtool::testing {

struct TreeNodeSpec {
  int16_t collnum = 0;
  std::string key;   // ks bytes, least significant first (as stored)
  std::string data;  // for fixed_data_size != 0
};

inline void PutLE32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; i++) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutLE16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v & 0xff));
  s->push_back(static_cast<char>(v >> 8));
}

// An RdbTree file holding `nodes` (node i = nodes[i]), balanced over the (collnum, key) order,
// doBalancing 1, ownData 0. fixed_data_size: 0, -1 or the size of every data.
inline std::string WriteRdbTree(int ks, int32_t fixed_data_size,
                                const std::vector<TreeNodeSpec>& nodes) {
  const int32_t n = static_cast<int32_t>(nodes.size());
  std::vector<int32_t> order(nodes.size());
  for (int32_t i = 0; i < n; i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (nodes[a].collnum != nodes[b].collnum) return nodes[a].collnum < nodes[b].collnum;
    return CompareKeys(reinterpret_cast<const uint8_t*>(nodes[a].key.data()),
                       reinterpret_cast<const uint8_t*>(nodes[b].key.data()), ks) < 0;
  });
  std::vector<int32_t> left(nodes.size(), -1), right(nodes.size(), -1), parent(nodes.size(), -1);
  std::vector<uint8_t> depth(nodes.size(), 1);
  std::function<int32_t(int32_t, int32_t, int32_t)> build = [&](int32_t lo, int32_t hi,
                                                                int32_t par) -> int32_t {
    if (lo >= hi) return -1;
    const int32_t mid = (lo + hi) / 2, node = order[mid];
    parent[node] = par;
    left[node] = build(lo, mid, node);
    right[node] = build(mid + 1, hi, node);
    const int dl = left[node] >= 0 ? depth[left[node]] : 0;
    const int dr = right[node] >= 0 ? depth[right[node]] : 0;
    depth[node] = static_cast<uint8_t>(std::max(dl, dr) + 1);
    return node;
  };
  const int32_t head = build(0, n, -1);
  std::string s;
  PutLE32(&s, static_cast<uint32_t>(std::max(n, 10)));
  PutLE32(&s, static_cast<uint32_t>(fixed_data_size));
  PutLE32(&s, static_cast<uint32_t>(n));
  PutLE32(&s, static_cast<uint32_t>(head));
  PutLE32(&s, static_cast<uint32_t>(n));
  PutLE32(&s, static_cast<uint32_t>(n));
  s.push_back(1);
  s.push_back(0);
  for (int32_t start = 0; start < n; start += 10000) {
    const int32_t end = std::min(n, start + 10000);
    for (int32_t i = start; i < end; i++) PutLE16(&s, static_cast<uint16_t>(nodes[i].collnum));
    for (int32_t i = start; i < end; i++) s += nodes[i].key;
    for (int32_t i = start; i < end; i++) PutLE32(&s, static_cast<uint32_t>(left[i]));
    for (int32_t i = start; i < end; i++) PutLE32(&s, static_cast<uint32_t>(right[i]));
    for (int32_t i = start; i < end; i++) PutLE32(&s, static_cast<uint32_t>(parent[i]));
    for (int32_t i = start; i < end; i++) s.push_back(static_cast<char>(depth[i]));
    if (fixed_data_size == -1) {
      for (int32_t i = start; i < end; i++)
        PutLE32(&s, static_cast<uint32_t>(nodes[i].data.size()));
    }
    if (fixed_data_size != 0) {
      for (int32_t i = start; i < end; i++) s += nodes[i].data;
    }
  }
  return s;
}

// A posdb key as a tree holds it (least significant byte first): termId at bits 96..143, docId at
// bits 58..95, the delbit set when positive; shardByTermId (bit 8) clear.
inline std::string PosdbTreeKey(uint64_t termid, uint64_t docid, bool positive = true) {
  std::string k(18, '\0');
  const unsigned __int128 lo = (static_cast<unsigned __int128>(docid) << 58) | (positive ? 1 : 0);
  for (size_t i = 0; i < 12; i++) k[i] = static_cast<char>((lo >> (8 * i)) & 0xff);
  for (size_t i = 0; i < 6; i++) k[12 + i] = static_cast<char>((termid >> (8 * i)) & 0xff);
  return k;
}

// Keys sorted as a tree keeps them (unsigned, most significant byte last).
inline std::vector<std::string> SortedKeys(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    return CompareKeys(reinterpret_cast<const uint8_t*>(a.data()),
                       reinterpret_cast<const uint8_t*>(b.data()), static_cast<int>(a.size())) < 0;
  });
  return keys;
}

struct BucketSpec {
  int16_t collnum = 0;
  std::vector<std::string> keys;  // ks bytes each, as stored
  int32_t sorted = -1;            // -1: all
  int32_t end_index = -1;         // -1: the last
};

// An RdbBuckets file of a key-only Rdb (posdb): "" when there is no key, as Gigablast writes.
inline std::string WriteRdbBuckets(int ks, const std::vector<BucketSpec>& buckets) {
  int32_t keys = 0, negs = 0;
  for (const auto& b : buckets) {
    for (const auto& k : b.keys) {
      keys++;
      negs += (k[0] & 1) == 0;
    }
  }
  if (keys == 0) return "";
  std::string s;
  PutLE32(&s, 0);
  PutLE32(&s, static_cast<uint32_t>(buckets.size()));
  PutLE32(&s, 2370);
  s.push_back(static_cast<char>(ks));
  PutLE32(&s, 0);
  PutLE32(&s, static_cast<uint32_t>(ks));
  PutLE32(&s, static_cast<uint32_t>(keys));
  PutLE32(&s, static_cast<uint32_t>(negs));
  PutLE32(&s, 0);
  PutLE32(&s, 8192);
  for (const auto& b : buckets) {
    const int32_t n = static_cast<int32_t>(b.keys.size());
    PutLE16(&s, static_cast<uint16_t>(b.collnum));
    PutLE32(&s, static_cast<uint32_t>(n));
    PutLE32(&s, static_cast<uint32_t>(b.sorted < 0 ? n : b.sorted));
    PutLE32(&s, static_cast<uint32_t>((b.end_index < 0 ? n - 1 : b.end_index) * ks));
    for (const auto& k : b.keys) s += k;
  }
  return s;
}

}  // namespace shardtool::testing
