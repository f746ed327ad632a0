#include "jobs/merge/merge_guard.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace shardtool {

namespace {

std::string ReadLink(const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

class ProcLister : public ProcessLister {
 public:
  Result<std::vector<ProcessEntry>> List() override {
    std::vector<ProcessEntry> out;
    DIR* d = opendir("/proc");
    if (d == nullptr) return out;  // no /proc: nothing can be detected
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      ProcessEntry p;
      p.pid = std::stoi(name);
      const std::string base = "/proc/" + name;
      p.exe = ReadLink(base + "/exe");
      p.cwd = ReadLink(base + "/cwd");
      std::ifstream in(base + "/cmdline", std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string cmd = ss.str();
      size_t start = 0;
      while (start < cmd.size()) {
        size_t end = cmd.find('\0', start);
        if (end == std::string::npos) end = cmd.size();
        p.args.push_back(cmd.substr(start, end - start));
        start = end + 1;
      }
      if (p.args.empty() && p.exe.empty()) continue;  // gone, or a kernel thread
      out.push_back(std::move(p));
    }
    closedir(d);
    return out;
  }
};

// Resolved form of a path for comparison: realpath when it resolves, else the path without
// trailing slashes.
std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return buf;
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Base(const std::string& path) {
  const size_t slash = path.rfind('/');
  std::string b = slash == std::string::npos ? path : path.substr(slash + 1);
  // /proc/<pid>/exe of a replaced binary reads "<path> (deleted)".
  const std::string deleted = " (deleted)";
  if (b.size() > deleted.size() &&
      b.compare(b.size() - deleted.size(), deleted.size(), deleted) == 0) {
    b.resize(b.size() - deleted.size());
  }
  return b;
}

class Detector : public GigablastDetector {
 public:
  explicit Detector(ProcessLister* lister) : lister_(lister) {}
  Result<std::optional<std::string>> Find(const std::string& workdir) override {
    const std::string dir = Canonical(workdir.empty() ? "." : workdir);
    ASSIGN_OR_RETURN(std::vector<ProcessEntry> procs, lister_->List());
    for (const ProcessEntry& p : procs) {
      const bool is_gb = (!p.args.empty() && Base(p.args[0]) == "gb") || Base(p.exe) == "gb";
      if (!is_gb) continue;
      bool here = !p.cwd.empty() && Canonical(p.cwd) == dir;
      for (size_t i = 1; i < p.args.size() && !here; i++) {
        if (!p.args[i].empty() && p.args[i][0] == '/' && Canonical(p.args[i]) == dir) here = true;
      }
      if (here) {
        return std::optional<std::string>("pid " + std::to_string(p.pid) + " (" +
                                          (p.exe.empty() ? p.args[0] : p.exe) + ") in " + dir);
      }
    }
    return std::optional<std::string>();
  }

 private:
  ProcessLister* lister_;
};

}  // namespace

ProcessLister* SystemProcessLister() {
  static ProcLister* lister = new ProcLister();
  return lister;
}

Result<std::optional<std::string>> FindGigablast(const std::string& workdir,
                                                 GigablastDetector* detector) {
  std::unique_ptr<GigablastDetector> own;
  if (detector == nullptr) {
    own = MakeGigablastDetector();
    detector = own.get();
  }
  return detector->Find(workdir);
}

std::unique_ptr<GigablastDetector> MakeGigablastDetector(ProcessLister* lister) {
  return std::make_unique<Detector>(lister ? lister : SystemProcessLister());
}

}  // namespace shardtool
