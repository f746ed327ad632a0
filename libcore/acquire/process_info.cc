#include "acquire/process_info.h"

#include <unistd.h>

#include <cstdio>
#include <random>

namespace shardtool {
namespace {

std::string SafeHostName(std::string name) {
  if (name.empty()) name = "localhost";
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return name;
}

class SystemInfo : public ProcessInfo {
 public:
  SystemInfo() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof(buf) - 1) != 0) buf[0] = '\0';
    host_ = SafeHostName(buf);
  }

  std::string HostName() override { return host_; }
  int64_t Pid() override { return static_cast<int64_t>(::getpid()); }

  std::optional<uint64_t> ProcStart(int64_t pid) override {
    if (pid <= 0) return std::nullopt;
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    FILE* f = std::fopen(path.c_str(), "re");
    if (f == nullptr) return std::nullopt;
    char buf[1024];
    const size_t n = std::fread(buf, 1, sizeof(buf), f);
    std::fclose(f);
    return ParseProcStatStartTime(std::string_view(buf, n));
  }

  uint64_t Nonce() override {
    std::lock_guard<std::mutex> lock(mu_);
    // Reseeded per process (a forked child must not repeat its parent's nonces).
    const int64_t pid = ::getpid();
    if (seeded_pid_ != pid) {
      std::random_device rd;
      rng_.seed((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(pid));
      seeded_pid_ = pid;
    }
    return rng_();
  }

 private:
  std::string host_;
  std::mutex mu_;
  int64_t seeded_pid_ = -1;
  std::mt19937_64 rng_;
};

}  // namespace

ProcessInfo* SystemProcessInfo() {
  static auto* info = new SystemInfo();  // never destroyed
  return info;
}

std::optional<uint64_t> ParseProcStatStartTime(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields after the command name: 3 (state), 4 (ppid), ..., 22 (starttime).
  size_t pos = close + 1;
  int field = 2;
  while (pos < text.size() && text[pos] != '\n') {
    while (pos < text.size() && text[pos] == ' ') pos++;
    size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') end++;
    if (end == pos) break;
    if (++field == 22) {
      uint64_t v = 0;
      for (size_t i = pos; i < end; i++) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(text[i] - '0');
      }
      return v;
    }
    pos = end;
  }
  return std::nullopt;
}

FakeProcessInfo::FakeProcessInfo(std::string host, int64_t pid, uint64_t proc_start)
    : host_(SafeHostName(std::move(host))), pid_(pid) {
  live_[pid] = proc_start;
}

void FakeProcessInfo::SetProcess(int64_t pid, uint64_t proc_start) {
  std::lock_guard<std::mutex> lock(mu_);
  live_[pid] = proc_start;
}

void FakeProcessInfo::RemoveProcess(int64_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(pid);
}

void FakeProcessInfo::BecomeProcess(int64_t pid, uint64_t proc_start) {
  std::lock_guard<std::mutex> lock(mu_);
  pid_ = pid;
  live_[pid] = proc_start;
}

std::string FakeProcessInfo::HostName() {
  std::lock_guard<std::mutex> lock(mu_);
  return host_;
}

int64_t FakeProcessInfo::Pid() {
  std::lock_guard<std::mutex> lock(mu_);
  return pid_;
}

std::optional<uint64_t> FakeProcessInfo::ProcStart(int64_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(pid);
  if (it == live_.end()) return std::nullopt;
  return it->second;
}

uint64_t FakeProcessInfo::Nonce() {
  std::lock_guard<std::mutex> lock(mu_);
  return ++nonce_;
}

}  // namespace shardtool
