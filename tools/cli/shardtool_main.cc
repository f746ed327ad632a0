#include "cli/shardtool_main.h"

#include <ostream>

namespace shardtool {

int Main(int argc, const char* const* argv, Context& ctx) {
  (void)argc;
  (void)argv;
  *ctx.err << "error: UsageError: no command\n";
  return 2;
}

}  // namespace shardtool
