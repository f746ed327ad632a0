// A simulated crash at a named test point (libcore/io/test_point.h): the `hit`-th time `point` is
// reached, the in-memory file system is frozen (nothing more reaches it) and the point fails the
// job; the test then calls MemFileSystem::SimulateCrash, which drops everything not synced.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "io/mem_file_system.h"
#include "io/test_point.h"

namespace shardtool::testing {

class CrashAt {
 public:
  CrashAt(MemFileSystem* fs, std::string point, int hit)
      : fs_(fs), point_(std::move(point)), hit_(hit) {
    testpoint::SetHandler([this](std::string_view name) -> Status {
      if (name != point_ || ++seen_ != hit_) return Status::Ok();
      fs_->Freeze();
      crashed_ = true;
      return IOErrorStatus("simulated crash at " + point_);
    });
  }
  ~CrashAt() { testpoint::SetHandler(nullptr); }
  CrashAt(const CrashAt&) = delete;
  CrashAt& operator=(const CrashAt&) = delete;
  bool crashed() const { return crashed_; }

 private:
  MemFileSystem* fs_;
  std::string point_;
  int hit_;
  int seen_ = 0;
  bool crashed_ = false;
};

}  // namespace shardtool::testing
