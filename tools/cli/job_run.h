// The plumbing every long job shares in its command (verify, merge, import): SIGINT and SIGTERM set
// a stop flag that the job polls (it stops cleanly and the command exits 9), and a progress bar on
// stderr (--progress always, or auto on a terminal without --quiet). While a JobRun lives the
// signal handlers are its; its destructor puts the previous ones back and clears the bar.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "cli/command.h"
#include "render/progress.h"

namespace shardtool {

class JobRun {
 public:
  JobRun(const Context& ctx, const GlobalOptions& g, std::string label);
  ~JobRun();
  JobRun(const JobRun&) = delete;
  JobRun& operator=(const JobRun&) = delete;

  // The flag a signal sets (false at construction); give it to the job's options.
  std::atomic<bool>* stop();
  void Progress(uint64_t done, uint64_t total) { bar_.Update(done, total); }
  // Restores the handlers and clears the bar now (before the report is printed).
  void Finish();

 private:
  ProgressBar bar_;
  void (*old_int_)(int) = nullptr;
  void (*old_term_)(int) = nullptr;
  bool finished_ = false;
};

}  // namespace shardtool
