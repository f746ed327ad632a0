// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, init and final XOR 0xffffffff), as used by
// the checksum sidecar (FORMAT.md §10.1) and bundle manifests. Uses the SSE4.2 crc32 instruction
// when the CPU has it, a slicing-by-8 table otherwise. Check value: Crc32c("123456789") ==
// 0xe3069283.
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

// The portable implementation, exposed so tests can compare it with the hardware one.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n);
bool Crc32cHardwareAvailable();

}  // namespace shardtool
