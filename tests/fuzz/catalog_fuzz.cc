// libFuzzer target: ParseCatalog (catalog.json) never crashes; accepted catalogs reserialise to a
// fixed point (state_fuzz.h); and the chunk fast path gives exactly the slow path's result (the
// same catalog text, or the same error).
#include <cstdio>
#include <cstdlib>

#include "catalog/catalog.h"
#include "state_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardtool::fuzz::CheckStateFile(
      data, size, [](std::string_view t) { return shardtool::ParseCatalog(t, "catalog.json"); },
      [](const shardtool::Catalog& c) { return shardtool::SerializeCatalog(c); });
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto fast = shardtool::ParseCatalog(text, "catalog.json");
  auto slow = shardtool::ParseCatalogSlowForTest(text, "catalog.json");
  const bool same =
      fast.ok() == slow.ok() &&
      (fast.ok() ? shardtool::SerializeCatalog(*fast) == shardtool::SerializeCatalog(*slow)
                 : fast.status().ToString() == slow.status().ToString());
  if (!same) {
    std::fprintf(stderr, "fast and slow catalog parses differ:\n%s\n%s\n",
                 fast.ok() ? "ok" : fast.status().ToString().c_str(),
                 slow.ok() ? "ok" : slow.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
