// The whole CLI as a function (doc/conventions.md rule 11): tests call Main with an argv array,
// their own file system and captured streams; tools/main.cc calls it with the real ones.
#pragma once

#include <iosfwd>

#include "io/file_system.h"
#include "io/local_host.h"

namespace shardtool {

struct Context {
  FileSystem* fs = nullptr;
  LocalHost* local = nullptr;  // host identity (addresses, canonical paths); null: the machine's
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool stdout_is_tty = false;
  bool stderr_is_tty = false;
};

int Main(int argc, const char* const* argv, Context& ctx);

}  // namespace shardtool
