// A progress line for long work on a terminal (doc/architecture.md §4 --progress): done/total, rate
// and ETA, redrawn in place on stderr at most 10 times a second. Thread-safe Update.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>

namespace shardtool {

class ProgressBar {
 public:
  // enabled: draw at all (--progress always, or auto on a terminal).
  ProgressBar(std::ostream* out, bool enabled, std::string label);
  ~ProgressBar();
  void Update(uint64_t done, uint64_t total);
  // Clears the line (before the final report).
  void Finish();

 private:
  std::ostream* out_;
  bool enabled_;
  std::string label_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace shardtool
