#include "jobs/import/import_bookmark.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "catalog/state_json.h"
#include "catalog/state_paths.h"
#include "io/atomic_file.h"

namespace shardtool {

std::string ImportBookmarkPath(const std::string& workdir, const std::string& db,
                               const std::string& srcid) {
  return JoinPath(JoinPath(StateDir(workdir), "bookmarks"), "import." + db + "." + srcid + ".json");
}

namespace {

// Member `name` as an integer in [lo, hi] (hi >= 0), or `dflt` when it is absent and optional.
// Anything else is Corruption naming the member: a float, a string or an out-of-range number is
// never narrowed into a position. nlohmann throws (an absent member): the caller catches that.
template <typename T>
Result<T> IntMember(const nlohmann::json& j, const char* name, T lo, T hi,
                    std::optional<T> dflt = {}) {
  if (dflt && !j.contains(name)) return *dflt;
  const nlohmann::json& v = j.at(name);
  if (!v.is_number_integer()) return CorruptionStatus(std::string(name) + ": not an integer");
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) return CorruptionStatus(std::string(name) + ": too large");
    return static_cast<T>(u);
  }
  const int64_t s = v.get<int64_t>();
  if (s < static_cast<int64_t>(lo) ||
      (s >= 0 && static_cast<uint64_t>(s) > static_cast<uint64_t>(hi))) {
    return CorruptionStatus(std::string(name) + ": out of range");
  }
  return static_cast<T>(s);
}

// The bookmark in `j`; Corruption with the reason (the caller names the file). The schema_version
// is checked by the caller.
Result<ImportBookmark> BookmarkFromJson(const nlohmann::json& j) {
  ImportBookmark b;
  b.db = j.at("db").get<std::string>();
  b.rdb = j.value("rdb", "titledb");
  b.source_dir = j.at("source_dir").get<std::string>();
  ASSIGN_OR_RETURN(b.pos.file_id, IntMember<int32_t>(j, "file_id", 0, INT32_MAX));
  ASSIGN_OR_RETURN(b.pos.offset, IntMember<uint64_t>(j, "offset", 0, UINT64_MAX));
  ASSIGN_OR_RETURN(b.records, IntMember<int64_t>(j, "records", 0, INT64_MAX, 0));
  ASSIGN_OR_RETURN(b.negatives_skipped,
                   IntMember<int64_t>(j, "negatives_skipped", 0, INT64_MAX, 0));
  ASSIGN_OR_RETURN(b.updated, IntMember<int64_t>(j, "updated", INT64_MIN, INT64_MAX, 0));
  return b;
}

// `text` as one whole integer as std::stoll reads it (leading blanks, a sign; base 10), or nullopt
// when it is not one or is out of range.
std::optional<long long> WholeInteger(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || errno == ERANGE || *end != '\0') return std::nullopt;
  return v;
}

}  // namespace

Result<std::optional<ImportBookmark>> ReadImportBookmark(FileSystem* fs, const std::string& path) {
  if (!fs->Exists(path)) return std::optional<ImportBookmark>();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs, path));
  auto bad = [&path](const std::string& why) {
    return CorruptionStatus(path + ": not an import bookmark: " + why);
  };
  auto parsed = ParseStateJsonChecked<nlohmann::json>(text);
  if (!parsed.ok()) return bad(parsed.status().message());
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return bad("not a JSON object");
  try {
    auto version = IntMember<int64_t>(j, "schema_version", INT64_MIN, INT64_MAX);
    if (!version.ok()) return bad(version.status().message());
    if (*version != 1) return CorruptionStatus(path + ": unknown schema_version");
    auto b = BookmarkFromJson(j);
    if (!b.ok()) return bad(b.status().message());
    return std::optional<ImportBookmark>(std::move(*b));
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

Status WriteImportBookmark(FileSystem* fs, const std::string& path, const ImportBookmark& b) {
  nlohmann::ordered_json j;
  j["schema_version"] = 1;
  j["db"] = b.db;
  j["rdb"] = b.rdb;
  j["source_dir"] = b.source_dir;
  j["file_id"] = b.pos.file_id;
  j["offset"] = b.pos.offset;
  j["records"] = b.records;
  j["negatives_skipped"] = b.negatives_skipped;
  j["updated"] = b.updated;
  RETURN_IF_ERROR(fs->CreateDirs(DirName(path)));
  return WriteFileAtomically(fs, path, j.dump(1) + "\n");
}

Result<LegacyBookmark> ReadLegacyBookmark(FileSystem* fs, const std::string& path) {
  LegacyBookmark b;
  if (!fs->Exists(path)) return b;
  b.present = true;
  ASSIGN_OR_RETURN(b.text, ReadFileToString(fs, path, 4096));
  std::string t = b.text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.size() <= 1) {
    b.from_start = true;
    return b;
  }
  const size_t comma = t.find(',');
  const auto not_a_bookmark = [&] {
    return CorruptionStatus(path + ": '" + t + "' is not \"<offset>,<fileId>\" (I8)");
  };
  if (comma == std::string::npos) return not_a_bookmark();
  const std::optional<long long> off = WholeInteger(t.substr(0, comma));
  const std::optional<long long> id = WholeInteger(t.substr(comma + 1));
  if (!off || !id) return not_a_bookmark();
  if (*off < 0 || *id < 0) {
    b.from_start = true;  // "-1,-1" (GB bug 2)
    return b;
  }
  if (*id > INT32_MAX) return not_a_bookmark();  // GB's file ids are 32-bit
  b.pos = {static_cast<int32_t>(*id), static_cast<uint64_t>(*off)};
  return b;
}

Status WriteLegacyBookmark(FileSystem* fs, const std::string& path, const SourcePos& pos) {
  // AtomicFile's "<name>.tmp" would contain ".dat" (refused by design for collection dirs); the
  // bookmark lives in the working dir, so the same durable path is spelled out with another name.
  std::string tmp = path;
  const size_t dot = tmp.rfind(".dat");
  if (dot != std::string::npos && dot + 4 == tmp.size()) tmp.resize(dot);
  tmp += ".bookmark-tmp";
  ASSIGN_OR_RETURN(auto f, fs->OpenForWrite(tmp, WriteMode::kTruncate));
  RETURN_IF_ERROR(f->Append(std::to_string(pos.offset) + "," + std::to_string(pos.file_id)));
  RETURN_IF_ERROR(f->Sync());
  RETURN_IF_ERROR(f->Close());
  RETURN_IF_ERROR(fs->Rename(tmp, path));
  return fs->SyncDir(DirName(path));
}

}  // namespace shardtool
