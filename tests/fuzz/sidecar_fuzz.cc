// libFuzzer target: CrcSidecar::Parse never crashes and re-serializes what it accepts byte for
// byte; the checks against data never crash; the builder's output always parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "format/crc_sidecar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  shardtool::Result<shardtool::CrcSidecar> r = shardtool::CrcSidecar::Parse(bytes, "fuzz.crc");
  std::vector<shardtool::Finding> findings;
  if (r.ok()) {
    if (r->Serialize() != bytes) std::abort();
    // Check the sidecar against the input itself as data, from offset 0 and from a later page.
    r->CheckAgainstData(size, 0, bytes, "fuzz.dat", &findings);
    r->CheckRange(r->page_size, bytes.substr(std::min<size_t>(size, r->page_size)), "fuzz.dat",
                  &findings);
  } else if (r.status().code() != shardtool::ErrorCode::kCorruption) {
    std::abort();
  }
  // Build a sidecar over the input with a page size picked by its first byte.
  uint32_t page_size = 512u << (size > 0 ? data[0] % 7 : 0);
  shardtool::CrcSidecarBuilder b(page_size);
  size_t half = size / 2;
  b.Add(data, half);
  b.Add(data + half, size - half);
  shardtool::CrcSidecar sc = b.Finish();
  shardtool::Result<shardtool::CrcSidecar> back =
      shardtool::CrcSidecar::Parse(sc.Serialize(), "fuzz.crc");
  if (!back.ok() || back->page_crcs != sc.page_crcs || back->data_size != size) std::abort();
  findings.clear();
  if (!sc.CheckAgainstData(size, 0, bytes, "fuzz.dat", &findings) || !findings.empty())
    std::abort();
  return 0;
}
