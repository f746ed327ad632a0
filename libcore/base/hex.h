// Hex text for bytes and keys. Keys are written most significant byte first (doc/format.md §1): the
// key's byte ks-1 comes first. Lower-case output; input accepts either case and an optional "0x".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardtool {

// Bytes in memory order ("0a1b..."), byte 0 first.
std::string HexBytes(const uint8_t* p, size_t n);
// Bytes in reversed order: byte n-1 first (the key text form).
std::string HexReversed(const uint8_t* p, size_t n);
// Parses hex (optional 0x prefix) into bytes in text order. Returns false on a bad digit or odd
// length.
bool ParseHex(std::string_view text, std::vector<uint8_t>* out);

}  // namespace shardtool
