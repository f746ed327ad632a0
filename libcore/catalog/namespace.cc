#include "catalog/namespace.h"

#include "catalog/chunk_version.h"

namespace shardtool {

bool IsValidNamePart(std::string_view part) {
  if (part.empty() || part.size() > kMaxNamePartLength) return false;
  for (char c : part) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<NamespaceString> ParseNamespace(std::string_view ns) {
  const size_t dot = ns.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  NamespaceString out{std::string(ns.substr(0, dot)), std::string(ns.substr(dot + 1))};
  if (!IsValidNamePart(out.db) || !IsValidNamePart(out.name)) return std::nullopt;
  return out;
}

std::string_view NamespaceDb(std::string_view ns) { return ns.substr(0, ns.find('.')); }

std::string DatabaseDirName(std::string_view db, int32_t collnum) {
  return "coll." + std::string(db) + "." + std::to_string(collnum);
}

std::optional<DatabaseDir> ParseDatabaseDirName(std::string_view dir_name) {
  constexpr std::string_view kPrefix = "coll.";
  if (dir_name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view rest = dir_name.substr(kPrefix.size());
  const size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view db = rest.substr(0, dot), num = rest.substr(dot + 1);
  if (!IsValidNamePart(db)) return std::nullopt;
  if (num.size() > 1 && num[0] == '0') return std::nullopt;
  auto collnum = ParseDecimalU32(num);
  if (!collnum || *collnum > 0x7fffffffU) return std::nullopt;
  return DatabaseDir{std::string(db), static_cast<int32_t>(*collnum)};
}

}  // namespace shardtool
