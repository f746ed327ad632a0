// Namespaces (doc/acquisition.md §2): "<db>.<name>", where db is a database (a Gigablast
// collection, e.g. "main") and name a collection (an Rdb, e.g. "titledb") or a view in it. Each
// part is [A-Za-z0-9_-]{1,64}; so a namespace has exactly one '.'. A database's directory is
// "coll.<db>.<collnum>" (doc/architecture.md §2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardtool {

constexpr size_t kMaxNamePartLength = 64;

struct NamespaceString {
  std::string db;
  std::string name;

  std::string ToString() const { return db + "." + name; }
  friend bool operator==(const NamespaceString&, const NamespaceString&) = default;
};

// True for [A-Za-z0-9_-]{1,64}: a valid database name or collection/view name.
bool IsValidNamePart(std::string_view part);
// Splits and checks "<db>.<name>"; nullopt when it is not a valid namespace.
std::optional<NamespaceString> ParseNamespace(std::string_view ns);
// The db part of a namespace ("main" of "main.titledb"); the whole text when it has no '.'.
std::string_view NamespaceDb(std::string_view ns);

// A database's directory name "coll.<db>.<collnum>".
std::string DatabaseDirName(std::string_view db, int32_t collnum);
// Parses "coll.<db>.<collnum>" (db a valid name part, collnum decimal 0..2^31-1 without leading
// zeros). nullopt when the name is anything else.
struct DatabaseDir {
  std::string db;
  int32_t collnum = 0;
};
std::optional<DatabaseDir> ParseDatabaseDirName(std::string_view dir_name);

}  // namespace shardtool
