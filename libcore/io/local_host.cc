#include "io/local_host.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace shardtool {
namespace {

std::string CurrentDir() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string("/");
}

class SystemHost final : public LocalHost {
 public:
  Result<std::vector<std::string>> Addresses() override {
    struct ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) {
      return IOErrorStatus(std::string("getifaddrs: ") + std::strerror(errno));
    }
    std::unique_ptr<struct ifaddrs, void (*)(struct ifaddrs*)> owner(list, freeifaddrs);
    std::vector<std::string> out;
    for (const struct ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr) continue;
      char text[INET6_ADDRSTRLEN] = {};
      const int family = a->ifa_addr->sa_family;
      const void* where = nullptr;
      if (family == AF_INET) {
        where = &reinterpret_cast<const struct sockaddr_in*>(a->ifa_addr)->sin_addr;
      } else if (family == AF_INET6) {
        where = &reinterpret_cast<const struct sockaddr_in6*>(a->ifa_addr)->sin6_addr;
      } else {
        continue;
      }
      if (inet_ntop(family, where, text, sizeof text) != nullptr) out.emplace_back(text);
    }
    return out;
  }

  std::string Canonical(const std::string& path) override {
    char buf[PATH_MAX];
    if (realpath(path.c_str(), buf) != nullptr) return buf;
    return LexicalPath(path, CurrentDir());
  }
};

}  // namespace

LocalHost* SystemLocalHost() {
  static SystemHost host;
  return &host;
}

std::string FixedLocalHost::Canonical(const std::string& path) { return LexicalPath(path); }

std::string LexicalPath(const std::string& path, const std::string& cwd) {
  const std::string full = !path.empty() && path[0] == '/' ? path : cwd + "/" + path;
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= full.size()) {
    size_t j = full.find('/', i);
    if (j == std::string::npos) j = full.size();
    const std::string seg = full.substr(i, j - i);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

}  // namespace shardtool
