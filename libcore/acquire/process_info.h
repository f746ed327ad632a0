// ProcessInfo: who this process is and whether another process of this host still runs, for leases
// (doc/acquisition.md §6). A lease names its holder by host, pid and procStart (field 22 of
// /proc/<pid>/stat: the start time in clock ticks since boot), so that a lease of a dead process,
// or of a dead process whose pid was reused, is recognised as stale.
//
// Production uses SystemProcessInfo() (gethostname, getpid, /proc); tests use FakeProcessInfo to
// play other processes and other hosts without starting them. The pid is asked for on every call
// (never cached), so a forked child sees its own.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace shardtool {

class ProcessInfo {
 public:
  virtual ~ProcessInfo() = default;
  // This host's name, as written into leases (characters other than [A-Za-z0-9._-] become '_').
  virtual std::string HostName() = 0;
  virtual int64_t Pid() = 0;
  // The start time of process `pid` of this host; nullopt when there is no such process.
  virtual std::optional<uint64_t> ProcStart(int64_t pid) = 0;
  // A fresh random number (lease name nonces).
  virtual uint64_t Nonce() = 0;
};

// The real process (never destroyed; thread-safe).
ProcessInfo* SystemProcessInfo();

// Parses the contents of /proc/<pid>/stat and returns field 22 (starttime); nullopt when
// malformed. The command name (field 2) may hold spaces and parentheses: fields are counted after
// the last ')'.
std::optional<uint64_t> ParseProcStatStartTime(std::string_view stat_text);

// A scripted host: this process is (host, pid), and the live processes of the host are those
// added with SetProcess (this one included). Nonces count up from 1. Thread-safe.
class FakeProcessInfo : public ProcessInfo {
 public:
  FakeProcessInfo(std::string host, int64_t pid, uint64_t proc_start);

  void SetProcess(int64_t pid, uint64_t proc_start);
  void RemoveProcess(int64_t pid);
  // Becomes another process of the same host (the old one stays alive unless removed).
  void BecomeProcess(int64_t pid, uint64_t proc_start);

  std::string HostName() override;
  int64_t Pid() override;
  std::optional<uint64_t> ProcStart(int64_t pid) override;
  uint64_t Nonce() override;

 private:
  std::mutex mu_;
  std::string host_;
  int64_t pid_;
  std::map<int64_t, uint64_t> live_;
  uint64_t nonce_ = 0;
};

}  // namespace shardtool
