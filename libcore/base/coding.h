// Little-endian fixed-width integer coding (doc/format.md §1: every integer on disk is
// little-endian).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace shardtool {

inline uint16_t LoadLE16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t LoadLE32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline int16_t LoadLEi16(const uint8_t* p) { return static_cast<int16_t>(LoadLE16(p)); }
inline int32_t LoadLEi32(const uint8_t* p) { return static_cast<int32_t>(LoadLE32(p)); }
inline int64_t LoadLEi64(const uint8_t* p) { return static_cast<int64_t>(LoadLE64(p)); }
// Loads n (0..8) bytes as a little-endian unsigned integer.
inline uint64_t LoadLEn(const uint8_t* p, int n) {
  uint64_t v = 0;
  std::memcpy(&v, p, static_cast<size_t>(n));
  return v;
}

inline void StoreLE16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline void StoreLE32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void StoreLE64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

inline void AppendLE16(std::string* s, uint16_t v) { s->append(reinterpret_cast<char*>(&v), 2); }
inline void AppendLE32(std::string* s, uint32_t v) { s->append(reinterpret_cast<char*>(&v), 4); }
inline void AppendLE64(std::string* s, uint64_t v) { s->append(reinterpret_cast<char*>(&v), 8); }

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "shardtool assumes a little-endian host");

}  // namespace shardtool
