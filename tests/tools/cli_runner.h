// Runs `shardtool` in-process for the CLI tests: shardtool::Main with the real file system and
// captured stdout and stderr.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/crc32c.h"
#include "cli/shardtool_main.h"
#include "io/file_system.h"

namespace shardtool::testing {

struct CliOut {
  int code = 0;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

// `shardtool args...`: the exit status and what it printed.
inline CliOut RunCli(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"shardtool"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Context ctx;
  ctx.fs = PosixFS();
  ctx.out = &out;
  ctx.err = &err;
  const int code = Main(static_cast<int>(argv.size()), argv.data(), ctx);
  return {code, out.str(), err.str()};
}

inline CliOut St(const std::vector<std::string>& args) { return RunCli(args); }

// The CRC-32C of every regular file under dir, by path: equal before and after a command means
// the command wrote nothing there. Paths containing `skip` (when not empty) are left out.
inline std::map<std::string, uint32_t> Hashes(const std::string& dir,
                                              const std::string& skip = "") {
  std::map<std::string, uint32_t> h;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (!skip.empty() && e.path().string().find(skip) != std::string::npos) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    h[e.path().string()] = Crc32c(ss.str());
  }
  return h;
}

#ifdef SHARDTOOL_BIN
// A real `shardtool` process (fork/exec of SHARDTOOL_BIN) for the multi-process scenarios: started
// with argv and an optional pause point (SHARDTOOL_TEST_PAUSE_AT, tools/main.cc), stdout and
// stderr to PREFIX.out and PREFIX.err.
class Proc {
 public:
  Proc(const std::string& out_prefix, const std::vector<std::string>& args,
       const std::string& pause_point = "")
      : prefix_(out_prefix) {
    std::filesystem::remove(prefix_ + ".reached");
    std::filesystem::remove(prefix_ + ".go");
    pid_ = fork();
    if (pid_ == 0) {
      if (!pause_point.empty()) {
        setenv("SHARDTOOL_TEST_PAUSE_AT", (pause_point + ":" + prefix_).c_str(), 1);
      }
      const int out = open((prefix_ + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = open((prefix_ + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv = {const_cast<char*>(SHARDTOOL_BIN)};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(SHARDTOOL_BIN, argv.data());
      _exit(127);
    }
  }
  ~Proc() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Waits (up to 30 s) until the process reached its pause point.
  bool Reached() {
    for (int i = 0; i < 3000; i++) {
      if (std::filesystem::exists(prefix_ + ".reached")) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        waited_ = true;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void Go() { std::ofstream(prefix_ + ".go") << "\n"; }
  int Wait() {
    if (!waited_) {
      int status = 0;
      waitpid(pid_, &status, 0);
      waited_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return code_;
  }
  void Kill9() {
    kill(pid_, SIGKILL);
    Wait();
  }
  std::string out() const { return Read(prefix_ + ".out"); }
  std::string err() const { return Read(prefix_ + ".err"); }
  nlohmann::json Json() const { return nlohmann::json::parse(out()); }

 private:
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string prefix_;
  pid_t pid_ = -1;
  bool waited_ = false;
  int code_ = -1;
};
#endif  // SHARDTOOL_BIN

}  // namespace shardtool::testing
