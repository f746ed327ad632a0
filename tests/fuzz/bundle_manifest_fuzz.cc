// libFuzzer target: ParseBundleManifest (doc/format.md §10.2) never crashes; accepted manifests
// reserialise to a fixed point (state_fuzz.h).
#include "jobs/bundle/bundle_writer.h"
#include "state_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardtool::fuzz::CheckStateFile(
      data, size,
      [](std::string_view t) { return shardtool::ParseBundleManifest(t, "manifest.json"); },
      [](const shardtool::BundleManifest& m) { return shardtool::SerializeBundleManifest(m); });
  return 0;
}
