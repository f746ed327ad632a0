// UUIDs of the catalog (doc/acquisition.md §2): random version-4 UUIDs, written lower-case
// ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx"), read in either case.
//
// Randomness is injectable: everything that makes UUIDs takes a UuidGenerator, production passes
// RandomUuidGenerator() and tests a CountingUuidGenerator, whose UUIDs are valid v4 forms that
// follow from a seed and a counter (so catalogs made in tests are reproducible).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace shardtool {

using UuidGenerator = std::function<std::string()>;

// True for the 36-character v4 form in either case.
bool IsUuidV4(std::string_view text);
// The lower-case form of a v4 UUID; nullopt when `text` is not one.
std::optional<std::string> NormalizeUuid(std::string_view text);

// Random v4 UUIDs from std::random_device (thread-safe).
UuidGenerator RandomUuidGenerator();
// Deterministic v4 UUIDs: the n-th call gives a UUID made from (seed, n).
UuidGenerator CountingUuidGenerator(uint64_t seed = 0);

}  // namespace shardtool
