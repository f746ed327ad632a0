// Named test points (doc/conventions.md rule 6): TEST_POINT("merge.after_target_sync") marks an
// instant at which tests may simulate a crash, inject an error or pause another process. In builds
// without SHARDTOOL_TEST_POINTS the macro compiles to nothing.
//
// A handler is process-wide. It receives the point's name and returns a Status: a non-Ok Status is
// returned from the enclosing function (so a "crash" unwinds the job, after which the test drops
// unsynced state with MemFileSystem::SimulateCrash and reruns).
#pragma once

#include <functional>
#include <string_view>

#include "base/status.h"

namespace shardtool::testpoint {

using Handler = std::function<Status(std::string_view name)>;

// Installs (or with nullptr clears) the handler. Returns the previous one.
Handler SetHandler(Handler handler);
// Called by TEST_POINT: runs the handler if one is set.
Status Hit(std::string_view name);
// True when test points are compiled into this build.
constexpr bool kEnabled =
#ifdef SHARDTOOL_TEST_POINTS
    true;
#else
    false;
#endif

}  // namespace shardtool::testpoint

#ifdef SHARDTOOL_TEST_POINTS
#define TEST_POINT(name) RETURN_IF_ERROR(::shardtool::testpoint::Hit(name))
#else
#define TEST_POINT(name) \
  do {                   \
  } while (0)
#endif
