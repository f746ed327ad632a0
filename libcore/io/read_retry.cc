#include "io/read_retry.h"

#include <algorithm>
#include <string>

namespace shardtool {
namespace {

constexpr int64_t kReadFirstBackoffMicros = 10'000;
constexpr int64_t kBackoffStepMicros = 200'000;
constexpr int64_t kReadMaxBackoffMicros = 10'000'000;

std::string Where(const RandomAccessFile* f, uint64_t offset, size_t n) {
  return f->path() + ": read of " + std::to_string(n) + " bytes at offset " +
         std::to_string(offset);
}

// Adds the location to an error that is not retried, keeping its code and info fields.
Status Located(const Status& s, const RandomAccessFile* f, uint64_t offset, size_t n) {
  Status out(s.code(), s.message() + " (" + Where(f, offset, n) + ")");
  for (const ErrorInfo& i : s.info()) {
    if (const auto* str = std::get_if<std::string>(&i.value)) {
      out.With(i.name, *str);
    } else if (const auto* num = std::get_if<int64_t>(&i.value)) {
      out.With(i.name, *num);
    } else {
      out.WithNull(i.name);
    }
  }
  return out;
}

}  // namespace

int64_t ReadRetryBackoffMicros(int failures) {
  if (failures <= 1) return kReadFirstBackoffMicros;
  return std::min<int64_t>(kBackoffStepMicros * failures, kReadMaxBackoffMicros);
}

Status ReadWithRetry(FileSystem* fs, RandomAccessFile* f, uint64_t offset, size_t n, uint8_t* dst,
                     const ReadRetryPolicy& policy) {
  const int max_attempts = std::max(1, policy.max_attempts);
  size_t done = 0;
  int failures = 0;
  while (done < n) {
    size_t got = 0;
    Status s = f->Read(offset + done, n - done, dst + done, &got);
    if (s.ok() && got > n - done) {
      return InternalErrorStatus(Where(f, offset, n) + ": Read returned more bytes than asked");
    }
    if (s.ok() && got > 0) {
      done += got;
      continue;
    }
    if (s.ok()) {
      // No bytes: the end of the file, unless the file covers the range (a read that made no
      // progress, retried like an error).
      Result<uint64_t> size = f->Size();
      if (size.ok() && *size < offset + n) {
        return CorruptionStatus(f->path() + ": truncated: wanted " + std::to_string(n) +
                                " bytes at offset " + std::to_string(offset) + ", file ends at " +
                                std::to_string(*size))
            .With("path", f->path())
            .With("offset", static_cast<int64_t>(offset))
            .With("length", static_cast<int64_t>(n));
      }
      if (!size.ok() && size.status().code() != ErrorCode::kIOError) {
        return Located(size.status(), f, offset, n);
      }
      s = size.ok()
              ? IOErrorStatus("read made no progress at offset " + std::to_string(offset + done) +
                              " of a file of " + std::to_string(*size) + " bytes")
              : size.status();
    } else if (s.code() != ErrorCode::kIOError) {
      return Located(s, f, offset, n);
    }
    ++failures;
    if (failures >= max_attempts) {
      return IOErrorStatus(Where(f, offset, n) + ": failed after " + std::to_string(failures) +
                           " attempts: " + s.message())
          .With("path", f->path())
          .With("offset", static_cast<int64_t>(offset))
          .With("length", static_cast<int64_t>(n))
          .With("attempts", static_cast<int64_t>(failures));
    }
    fs->SleepMicros(ReadRetryBackoffMicros(failures));
  }
  return Status::Ok();
}

}  // namespace shardtool
