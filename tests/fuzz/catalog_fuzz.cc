// libFuzzer target: ParseCatalog (catalog.json) never crashes; accepted catalogs reserialise to a
// fixed point (state_fuzz.h).
#include "catalog/catalog.h"
#include "state_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardtool::fuzz::CheckStateFile(
      data, size, [](std::string_view t) { return shardtool::ParseCatalog(t, "catalog.json"); },
      [](const shardtool::Catalog& c) { return shardtool::SerializeCatalog(c); });
  return 0;
}
