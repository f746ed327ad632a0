#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "cli/job_run.h"
#include "cli/shardtool_main.h"
#include "io/test_point.h"

namespace {

// In builds with test points only: environment hooks that let black-box tests order real processes
// and kill them at named instants (doc/conventions.md rule 6). libcore itself never reads the
// environment.
//   SHARDTOOL_TEST_KILL_AT=name[,name...]   SIGKILL this process when a named point is hit
//   SHARDTOOL_TEST_PAUSE_AT=name:PREFIX      at that point create PREFIX.reached, then wait until
//                                            PREFIX.go exists (checked every 10 ms)
void InstallTestHooks() {
  if constexpr (!shardtool::testpoint::kEnabled) return;
  const char* kill_at = std::getenv("SHARDTOOL_TEST_KILL_AT");
  const char* pause_at = std::getenv("SHARDTOOL_TEST_PAUSE_AT");
  if (kill_at == nullptr && pause_at == nullptr) return;
  std::string kills = kill_at ? std::string(",") + kill_at + "," : "";
  std::string pause = pause_at ? pause_at : "";
  shardtool::testpoint::SetHandler([kills, pause](std::string_view name) {
    if (!kills.empty() && kills.find("," + std::string(name) + ",") != std::string::npos) {
      kill(getpid(), SIGKILL);
    }
    const size_t colon = pause.find(':');
    if (colon != std::string::npos && pause.compare(0, colon, name) == 0) {
      const std::string prefix = pause.substr(colon + 1);
      FILE* f = std::fopen((prefix + ".reached").c_str(), "w");
      if (f) std::fclose(f);
      while (access((prefix + ".go").c_str(), F_OK) != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return shardtool::Status::Ok();
  });
}

}  // namespace

int main(int argc, char** argv) {
  shardtool::InstallStopSignalHandlers();
  InstallTestHooks();
  shardtool::Context ctx;
  ctx.fs = shardtool::PosixFS();
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.stdout_is_tty = isatty(1);
  ctx.stderr_is_tty = isatty(2);
  return shardtool::Main(argc, argv, ctx);
}
