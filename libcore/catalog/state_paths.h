// Paths of shardtool's own state under a host working dir (doc/architecture.md §2,
// doc/acquisition.md §5, §6):
//
//   shardtool/catalog.json              the catalog (atomic replace)
//   shardtool/catalog.json.tmp.<pid>    a catalog being written (removed by the next writer)
//   shardtool/locks/global, locks/db.<name>, locks/coll.<uuid>     flock files
//   shardtool/leases/<uuid>/            leases of running readers
//   shardtool/journal/retired.<uuid>.json   retired files of a collection
#pragma once

#include <string>
#include <string_view>

namespace shardtool {

std::string StateDir(std::string_view workdir);
std::string CatalogPath(std::string_view workdir);
// "catalog.json.tmp." : the prefix of temporary catalog names in StateDir.
inline constexpr std::string_view kCatalogTempPrefix = "catalog.json.tmp.";
std::string CatalogTempPath(std::string_view workdir, long pid);
std::string LocksDir(std::string_view workdir);
std::string GlobalLockPath(std::string_view workdir);
std::string DbLockPath(std::string_view workdir, std::string_view db);
std::string CollLockPath(std::string_view workdir, std::string_view uuid);
std::string LeasesDir(std::string_view workdir, std::string_view uuid);
std::string JournalDir(std::string_view workdir);
std::string RetiredListPath(std::string_view workdir, std::string_view uuid);

}  // namespace shardtool
