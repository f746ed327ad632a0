#include <unistd.h>

#include <iostream>

#include "cli/shardtool_main.h"

int main(int argc, char** argv) {
  shardtool::Context ctx;
  ctx.fs = shardtool::PosixFS();
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.stdout_is_tty = isatty(1);
  ctx.stderr_is_tty = isatty(2);
  return shardtool::Main(argc, argv, ctx);
}
