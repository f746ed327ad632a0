// libFuzzer target: ParseLease (shardtool/leases/<uuid>/*.json) never crashes; accepted leases
// reserialise to a fixed point (state_fuzz.h).
#include "acquire/lease.h"
#include "state_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardtool::fuzz::CheckStateFile(
      data, size, [](std::string_view t) { return shardtool::ParseLease(t, "lease.json"); },
      [](const shardtool::Lease& l) { return shardtool::SerializeLease(l); });
  return 0;
}
