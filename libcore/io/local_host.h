// LocalHost: what a host knows about the machine it runs on, for finding itself in hosts.conf
// (issue 17): the addresses of its network interfaces and the canonical form of a path. Behind an
// interface so that tests inject addresses (several hosts of one test machine differ only in
// their working dirs).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace shardtool {

class LocalHost {
 public:
  virtual ~LocalHost() = default;
  // The numeric addresses of the local interfaces ("127.0.0.1", "10.0.0.5", "::1", ...).
  virtual Result<std::vector<std::string>> Addresses() = 0;
  // The canonical absolute form of `path`: symbolic links resolved when it exists, else "." and
  // ".." segments and repeated or trailing '/' removed.
  virtual std::string Canonical(const std::string& path) = 0;
};

// The machine's: getifaddrs(3) and realpath(3). A process-wide instance.
LocalHost* SystemLocalHost();

// Fixed addresses; Canonical is LexicalPath (tests).
class FixedLocalHost : public LocalHost {
 public:
  explicit FixedLocalHost(std::vector<std::string> addresses) : addresses_(std::move(addresses)) {}
  Result<std::vector<std::string>> Addresses() override { return addresses_; }
  std::string Canonical(const std::string& path) override;

 private:
  std::vector<std::string> addresses_;
};

// "/a/./b//c/../" -> "/a/b"; relative paths are taken from `cwd` (absolute).
std::string LexicalPath(const std::string& path, const std::string& cwd = "/");

}  // namespace shardtool
