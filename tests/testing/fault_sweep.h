// The fault campaign of issue 8, shared by the sweeps of every writer (merge, import, ingest,
// catalog changes): each kind of file-system fault (EIO on open, read, append, fsync, directory
// fsync, rename, remove; ENOSPC on append; a short write then ENOSPC) injected at the n-th call of
// its kind, for n spread over every call a clean run of the writer makes of that kind.
//
// A test counts the calls of a clean run (CountCalls of a FaultFileSystem without rules), then
// RunFaultCampaign calls it back once per (kind, n) with the rule to install; the callback builds a
// fresh scenario, runs the writer once with the fault, checks what must hold after a faulted run
// (inputs intact, old or new state), reruns without faults and checks the result, and returns the
// faulted run's status and how many faults were injected. The campaign checks that a failed run
// failed cleanly (exit status 7, a message; ENOSPC kinds as NoSpace) and prints the
// "[ fault campaign ]" line with the counts and the wall time.
//
// Positions: CI tries the first, a middle and the last call of each kind (the first and the last
// under ASan, where each run costs ten times more); SHARDTOOL_FAULT_SWEEP=all tries every call.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/fault_file_system.h"
#include "testing/sanitizer.h"

namespace shardtool::testing {

struct FaultKind {
  const char* name;
  FsOp op;  // the kind of call counted and faulted
  std::function<FaultRule(uint64_t)> rule;
  std::optional<ErrorCode> code;  // the code a run failing on this fault must report
};

inline const std::vector<FaultKind>& FaultKinds() {
  static const std::vector<FaultKind> kinds = {
      {"open", FsOp::kOpen, [](uint64_t n) { return FaultRule::Fail(FsOp::kOpen).Nth(n); }, {}},
      {"read", FsOp::kRead, [](uint64_t n) { return FaultRule::Fail(FsOp::kRead).Nth(n); }, {}},
      {"append",
       FsOp::kAppend,
       [](uint64_t n) { return FaultRule::Fail(FsOp::kAppend).Nth(n); },
       {}},
      {"enospc", FsOp::kAppend,
       [](uint64_t n) { return FaultRule::Fail(FsOp::kAppend, ENOSPC).Nth(n); },
       ErrorCode::kNoSpace},
      {"short write", FsOp::kAppend, [](uint64_t n) { return FaultRule::ShortWrite(7).Nth(n); },
       ErrorCode::kNoSpace},
      {"fsync", FsOp::kSync, [](uint64_t n) { return FaultRule::Fail(FsOp::kSync).Nth(n); }, {}},
      {"dir fsync",
       FsOp::kSyncDir,
       [](uint64_t n) { return FaultRule::Fail(FsOp::kSyncDir).Nth(n); },
       {}},
      {"rename",
       FsOp::kRename,
       [](uint64_t n) { return FaultRule::Fail(FsOp::kRename).Nth(n); },
       {}},
      {"remove",
       FsOp::kRemove,
       [](uint64_t n) { return FaultRule::Fail(FsOp::kRemove).Nth(n); },
       {}},
  };
  return kinds;
}

inline bool FullFaultSweep() {
  const char* sweep = std::getenv("SHARDTOOL_FAULT_SWEEP");
  return sweep != nullptr && std::string(sweep) == "all";
}

// The call positions (1-based) tried for a kind of which a clean run makes `total` calls.
inline std::vector<uint64_t> SweepPositions(uint64_t total) {
  std::vector<uint64_t> ns;
  if (total == 0) return ns;
  const uint64_t want =
      FullFaultSweep() ? total : std::min<uint64_t>(total, testing::kSanitized ? 2 : 3);
  for (uint64_t i = 0; i < want; i++) {
    ns.push_back(1 + i * (total - 1) / std::max<uint64_t>(want - 1, 1));
  }
  ns.erase(std::unique(ns.begin(), ns.end()), ns.end());
  return ns;
}

using CallCounts = std::map<FsOp, uint64_t>;

inline CallCounts CountCalls(const FaultFileSystem& fs) {
  CallCounts out;
  for (const FaultKind& k : FaultKinds()) out[k.op] = fs.calls(k.op);
  return out;
}

// What one faulted case reports back: the faulted run's status (Ok when it completed; a job
// whose report carries an outcome passes the outcome) and the faults the wrapper injected.
struct FaultedRun {
  Status status;
  uint64_t injected = 0;
};

// The checks of a failed run: exit status 7, a message, and the kind's code when it has one.
inline void ExpectCleanFailure(const Status& s, const FaultKind& kind) {
  EXPECT_EQ(s.exit_status(), 7) << s.ToString();
  EXPECT_FALSE(s.message().empty()) << s.ToString();
  if (kind.code.has_value()) {
    EXPECT_EQ(s.code(), *kind.code) << s.ToString();
  }
}

// Runs the campaign over `calls` (of a clean run); `one(kind, n)` runs one faulted case.
// `kinds_that_must_occur` name kinds whose op a clean run must make at least once.
inline void RunFaultCampaign(const std::string& what, const CallCounts& calls,
                             const std::function<FaultedRun(const FaultKind&, uint64_t)>& one,
                             const std::vector<FsOp>& ops_that_must_occur) {
  const auto start = std::chrono::steady_clock::now();
  for (FsOp op : ops_that_must_occur) {
    auto it = calls.find(op);
    ASSERT_TRUE(it != calls.end() && it->second > 0)
        << what << ": a clean run makes no " << FsOpName(op) << " call";
  }
  int runs = 0, failed = 0;
  uint64_t injected = 0;
  for (const FaultKind& k : FaultKinds()) {
    auto it = calls.find(k.op);
    const uint64_t total = it == calls.end() ? 0 : it->second;
    for (uint64_t n : SweepPositions(total)) {
      SCOPED_TRACE(what + ": " + k.name + " at call " + std::to_string(n) + " of " +
                   std::to_string(total));
      FaultedRun r = one(k, n);
      if (::testing::Test::HasFatalFailure()) return;
      runs++;
      injected += r.injected;
      if (!r.status.ok()) {
        failed++;
        ExpectCleanFailure(r.status, k);
      }
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ fault campaign ] %s: %d runs, %llu faults injected, %d runs failed cleanly (%.1f s)\n",
      what.c_str(), runs, static_cast<unsigned long long>(injected), failed, secs);
  EXPECT_GT(failed, 0) << what;
}

}  // namespace shardtool::testing
