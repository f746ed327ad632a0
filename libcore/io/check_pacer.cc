#include "io/check_pacer.h"

namespace shardtool {

void WaitForRate(FileSystem* fs, uint64_t bytes, double rate_mb_s, int64_t start_us,
                 int64_t deadline_us, const std::atomic<bool>* stop) {
  if (rate_mb_s <= 0) return;
  const int64_t want_us = static_cast<int64_t>(static_cast<double>(bytes) / rate_mb_s);
  while (stop == nullptr || !stop->load()) {
    const int64_t wait = std::min(start_us + want_us, deadline_us) - fs->NowMicros();
    if (wait <= 0) return;
    fs->SleepMicros(std::min<int64_t>(wait, 50000));
  }
}

}  // namespace shardtool
