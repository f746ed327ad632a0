// Runs `shardtool` in-process for the CLI tests: shardtool::Main with the real file system and
// captured stdout and stderr.
#pragma once

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

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

}  // namespace shardtool::testing
