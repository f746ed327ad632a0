// When a job's record loop runs its periodic checks (stop flag, --max-duration, progress, the
// acquisition's yield) and how its --rate limit waits (issue 16 item 10): checks come every
// `records` records, every `bytes` bytes or every `micros` microseconds of the file system's clock,
// whichever is first, so that large records (titlerecs of tens of KB) or a slow disk never leave a
// stop request or a deadline unanswered for long. The clock is read once per kClockStride records.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "io/file_system.h"

namespace shardtool {

class CheckPacer {
 public:
  static constexpr uint32_t kClockStride = 16;
  // REQUIRES: fs outlives the pacer.
  CheckPacer(FileSystem* fs, uint32_t records, uint64_t bytes = uint64_t{1} << 20,
             int64_t micros = 50000)
      : fs_(fs), records_(std::max<uint32_t>(records, 1)), bytes_(bytes), micros_(micros) {
    next_us_ = fs_->NowMicros() + micros_;
  }
  // Counts one record of `size` bytes; true when the checks are due (the counts start again).
  bool Due(uint64_t size) {
    seen_bytes_ += size;
    if (++seen_ < records_ && seen_bytes_ < bytes_ &&
        (seen_ % kClockStride != 0 || fs_->NowMicros() < next_us_)) {
      return false;
    }
    seen_ = 0;
    seen_bytes_ = 0;
    next_us_ = fs_->NowMicros() + micros_;
    return true;
  }

 private:
  FileSystem* fs_;
  uint32_t records_;
  uint64_t bytes_;
  int64_t micros_;
  uint32_t seen_ = 0;
  uint64_t seen_bytes_ = 0;
  int64_t next_us_ = 0;
};

// --rate: sleeps until `bytes` no longer run ahead of `rate_mb_s` (MB/s) since `start_us`, in
// slices of at most 50 ms, and returns early once `stop` is set or the clock reaches `deadline_us`
// (INT64_MAX: none), so that a signal or --max-duration still stops the job on time.
void WaitForRate(FileSystem* fs, uint64_t bytes, double rate_mb_s, int64_t start_us,
                 int64_t deadline_us, const std::atomic<bool>* stop);

}  // namespace shardtool
