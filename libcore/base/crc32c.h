// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, init and final XOR 0xffffffff), as used by
// the checksum sidecar (doc/format.md §10.1) and bundle manifests. Uses carry-less multiplication
// on 512-bit registers (AVX-512 VPCLMULQDQ) for inputs of 256 bytes or more when the CPU has it,
// the SSE4.2 crc32 instruction in three interleaved lanes otherwise, and a slicing-by-8 table on
// CPUs with neither. Check value: Crc32c("123456789") == 0xe3069283.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardtool {

// Extends a running CRC (start with 0) over data: Crc32cExtend(Crc32cExtend(0, a), b) ==
// Crc32c(ab).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(const void* data, size_t n) { return Crc32cExtend(0, data, n); }
inline uint32_t Crc32c(std::string_view s) { return Crc32cExtend(0, s.data(), s.size()); }

// The other implementations, exposed so tests can compare them with each other: the portable
// table, and the crc32-instruction lanes (the portable table when the CPU lacks SSE4.2).
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n);
uint32_t Crc32cExtendCrc32Lanes(uint32_t crc, const void* data, size_t n);
bool Crc32cHardwareAvailable();
bool Crc32cClmulAvailable();

}  // namespace shardtool
