// ReadWithRetry: reads an exact byte range, riding out transient read errors.
//
// Transient failures are an IOError from Read (EIO and other unclassified errnos) and a read that
// returns 0 bytes although the file is long enough (no progress). They are retried, sleeping
// through fs->SleepMicros (so tests with a fake clock do not wait): 10 ms before the first retry,
// then 200 ms x the number of failures so far (400 ms, 600 ms, ...), capped at 10 s. At most
// policy.max_attempts failed reads are made in one call (progress does not reset the count); then
// the error names the path, offset, length and attempts. A read past the end of the file is
// Corruption("... truncated ...") at once, without retries. Any other error (NotFound,
// PermissionDenied, NoSpace, ...) is returned at once with the offset and length added.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "io/file_system.h"

namespace shardtool {

struct ReadRetryPolicy {
  int max_attempts = 5;
};

// Microseconds to sleep after the `failures`-th failed read (1-based).
int64_t ReadRetryBackoffMicros(int failures);

// Reads exactly n bytes at offset into dst. REQUIRES: dst holds n bytes.
Status ReadWithRetry(FileSystem* fs, RandomAccessFile* f, uint64_t offset, size_t n, uint8_t* dst,
                     const ReadRetryPolicy& policy = ReadRetryPolicy());

}  // namespace shardtool
