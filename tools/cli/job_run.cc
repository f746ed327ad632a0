#include "cli/job_run.h"

#include <csignal>
#include <ostream>

namespace shardtool {
namespace {

std::atomic<bool> g_job_stop{false};
bool g_installed_at_start = false;
extern "C" void OnJobStopSignal(int) { g_job_stop.store(true); }

bool WantBar(const Context& ctx, const GlobalOptions& g) {
  return g.progress == "always" || (g.progress == "auto" && ctx.stderr_is_tty && !g.quiet);
}

}  // namespace

void InstallStopSignalHandlers() {
  g_installed_at_start = true;
  std::signal(SIGINT, OnJobStopSignal);
  std::signal(SIGTERM, OnJobStopSignal);
}

JobRun::JobRun(const Context& ctx, const GlobalOptions& g, std::string label)
    : bar_(ctx.err, WantBar(ctx, g), std::move(label)) {
  // A signal that came before the job started (handlers installed at program start) still stops
  // it at its first check; in-process callers (tests) start each job afresh.
  if (!g_installed_at_start) g_job_stop.store(false);
  old_int_ = std::signal(SIGINT, OnJobStopSignal);
  old_term_ = std::signal(SIGTERM, OnJobStopSignal);
}

JobRun::~JobRun() { Finish(); }

std::atomic<bool>* JobRun::stop() { return &g_job_stop; }

void JobRun::Finish() {
  if (finished_) return;
  finished_ = true;
  std::signal(SIGINT, old_int_);
  std::signal(SIGTERM, old_term_);
  bar_.Finish();
}

void PrintJobReport(Context& ctx, const GlobalOptions& g, const Status& outcome,
                    const std::function<Json()>& json, const std::function<void()>& text) {
  if (g.json) {
    *ctx.out << json().dump(2) << "\n";
    return;
  }
  text();
  if (!outcome.ok()) *ctx.err << "error: " << outcome.name() << ": " << outcome.message() << "\n";
}

}  // namespace shardtool
