// Gigablast itself must not work in the directory a merge works in: a `gb` process working in the
// same working dir would merge and rename the same files. GigablastDetector finds one through
// /proc (a process whose argv[0] or executable is named gb and whose current dir, or a "-d
// DIR"-style argument, is the working dir); tests inject their own. `merge --force` skips the
// check. (The other guard, the collection's claim, is the merge's write acquisition: merge_job.h.)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace shardtool {

struct ProcessEntry {
  int pid = 0;
  std::string exe;                // target of /proc/<pid>/exe ("" when unreadable)
  std::string cwd;                // target of /proc/<pid>/cwd ("" when unreadable)
  std::vector<std::string> args;  // /proc/<pid>/cmdline
};

class ProcessLister {
 public:
  virtual ~ProcessLister() = default;
  virtual Result<std::vector<ProcessEntry>> List() = 0;
};

// The processes of this machine from /proc (processes that vanish while listed are skipped).
ProcessLister* SystemProcessLister();

class GigablastDetector {
 public:
  virtual ~GigablastDetector() = default;
  // A description of a Gigablast process working in `workdir` ("pid 123 (/gb/gb) in /gb/host0"),
  // or nullopt.
  virtual Result<std::optional<std::string>> Find(const std::string& workdir) = 0;
};

// The detector over a process lister (default: SystemProcessLister()). Paths are compared after
// resolving symlinks and trailing slashes of the working dir.
std::unique_ptr<GigablastDetector> MakeGigablastDetector(ProcessLister* lister = nullptr);

// The Gigablast process working in `workdir` as `detector` (nullptr: MakeGigablastDetector())
// finds it, or nullopt.
Result<std::optional<std::string>> FindGigablast(const std::string& workdir,
                                                 GigablastDetector* detector);

}  // namespace shardtool
