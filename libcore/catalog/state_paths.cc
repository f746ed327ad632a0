#include "catalog/state_paths.h"

#include "io/file_system.h"

namespace shardtool {

std::string StateDir(std::string_view workdir) { return JoinPath(workdir, "shardtool"); }

std::string CatalogPath(std::string_view workdir) {
  return JoinPath(StateDir(workdir), "catalog.json");
}

std::string CatalogTempPath(std::string_view workdir, long pid) {
  return JoinPath(StateDir(workdir), std::string(kCatalogTempPrefix) + std::to_string(pid));
}

std::string LocksDir(std::string_view workdir) { return JoinPath(StateDir(workdir), "locks"); }

std::string GlobalLockPath(std::string_view workdir) {
  return JoinPath(LocksDir(workdir), "global");
}

std::string DbLockPath(std::string_view workdir, std::string_view db) {
  return JoinPath(LocksDir(workdir), "db." + std::string(db));
}

std::string CollLockPath(std::string_view workdir, std::string_view uuid) {
  return JoinPath(LocksDir(workdir), "coll." + std::string(uuid));
}

std::string LeasesDir(std::string_view workdir, std::string_view uuid) {
  return JoinPath(JoinPath(StateDir(workdir), "leases"), uuid);
}

std::string JournalDir(std::string_view workdir) { return JoinPath(StateDir(workdir), "journal"); }

std::string RetiredListPath(std::string_view workdir, std::string_view uuid) {
  return JoinPath(JournalDir(workdir), "retired." + std::string(uuid) + ".json");
}

}  // namespace shardtool
