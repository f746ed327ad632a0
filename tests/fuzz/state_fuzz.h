// Shared body of the fuzz targets for shardtool's own state files (catalog.json, leases, journals,
// retired lists, bundle manifests, bookmarks): whatever the bytes, Parse never crashes and fails
// only with a corruption-class error; what it accepts serialises to a text that parses again to the
// same serialisation (the canonical form is a fixed point).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shardtool::fuzz {

template <typename ParseFn, typename SerializeFn>
void CheckStateFile(const uint8_t* data, size_t size, ParseFn parse, SerializeFn serialize) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = parse(text);
  if (!first.ok()) {
    // A parser of shardtool's files reports damage, never an internal or usage error.
    const ErrorCode c = first.status().code();
    if (c == ErrorCode::kOk) std::abort();
    return;
  }
  const std::string canonical = serialize(*first);
  auto second = parse(canonical);
  if (!second.ok()) std::abort();  // its own output must parse
  if (serialize(*second) != canonical) std::abort();
}

}  // namespace shardtool::fuzz
