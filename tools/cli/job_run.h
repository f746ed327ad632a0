// The plumbing every long job shares in its command (verify, merge, import): SIGINT and SIGTERM set
// a stop flag that the job polls (it stops cleanly and the command exits 9), and a progress bar on
// stderr (--progress always, or auto on a terminal without --quiet). While a JobRun lives the
// signal handlers are its; its destructor puts the previous ones back and clears the bar.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "cli/command.h"
#include "render/json_render.h"
#include "render/progress.h"

namespace shardtool {

// The shardtool binary installs the stop handlers at program start (before any acquisition), so a
// SIGINT or SIGTERM that arrives before a job polls the flag still stops it cleanly at its first
// check (exit 9, leases released or stashed) instead of killing the process with leases left.
// Commands that never poll (init, catalog, ingest, inspect) are short and atomic: they finish.
void InstallStopSignalHandlers();

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

// Runs job(env) under a JobRun labelled `label`, for a job whose Env has a `stop` flag and a
// `progress` callback given a struct with `done` and `total` (merge, import): both are wired to
// the JobRun, which is finished (handlers restored, bar cleared) before the result is returned.
template <class Env, class Job>
auto RunWithJobRun(const Context& ctx, const GlobalOptions& g, std::string label, const Job& job) {
  Env env;
  JobRun run(ctx, g, std::move(label));
  env.stop = run.stop();
  env.progress = [&run](const auto& p) { run.Progress(p.done, p.total); };
  auto result = job(env);
  run.Finish();
  return result;
}

// Prints the report of a job that ran: with --json the document json() returns, on out; else
// text() prints it, followed on err by "error: <name>: <message>" when the run stopped early
// (`outcome` is not Ok).
void PrintJobReport(Context& ctx, const GlobalOptions& g, const Status& outcome,
                    const std::function<Json()>& json, const std::function<void()>& text);

}  // namespace shardtool
