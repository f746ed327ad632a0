// Runs `shardtool` in-process for the CLI tests: shardtool::Main with the real file system and
// captured stdout and stderr.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
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

}  // namespace shardtool::testing
