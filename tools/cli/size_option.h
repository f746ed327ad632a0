// The one parser of SIZE options (merge --max-extra-disk, import --memory and --commit-every):
// a number (may have a fraction) and an optional binary unit: K, M, G or T (either case, powers of
// 1024), optionally followed by "i" and then by "B" or "b" ("20G", "512M", "1.5GiB", "2gb", "4Ki",
// "4096", "4096B").
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace shardtool {

// The size in bytes. `flag` names the option in errors; `example` is shown after "not a size"
// (e.g. "20G, 512M"). A size below `min_bytes` is a UsageError ("at least 1M" when min_bytes is
// 1 MiB); with min_bytes 0 the size must be positive. Errors: UsageError.
Result<uint64_t> ParseSizeOption(const std::string& flag, const std::string& text,
                                 const std::string& example, uint64_t min_bytes = 0);

}  // namespace shardtool
