#include "jobs/import_bookmark.h"

#include <nlohmann/json.hpp>

#include "catalog/state_paths.h"
#include "io/atomic_file.h"

namespace shardtool {

std::string ImportBookmarkPath(const std::string& workdir, const std::string& db,
                               const std::string& srcid) {
  return JoinPath(JoinPath(StateDir(workdir), "bookmarks"), "import." + db + "." + srcid + ".json");
}

Result<std::optional<ImportBookmark>> ReadImportBookmark(FileSystem* fs, const std::string& path) {
  if (!fs->Exists(path)) return std::optional<ImportBookmark>();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs, path));
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.at("schema_version").get<int>() != 1) {
      return CorruptionStatus(path + ": unknown schema_version");
    }
    ImportBookmark b;
    b.db = j.at("db").get<std::string>();
    b.rdb = j.value("rdb", "titledb");
    b.source_dir = j.at("source_dir").get<std::string>();
    b.pos.file_id = j.at("file_id").get<int32_t>();
    b.pos.offset = j.at("offset").get<uint64_t>();
    b.records = j.value("records", int64_t{0});
    b.negatives_skipped = j.value("negatives_skipped", int64_t{0});
    b.updated = j.value("updated", int64_t{0});
    return std::optional<ImportBookmark>(b);
  } catch (const std::exception& e) {
    return CorruptionStatus(path + ": not an import bookmark: " + e.what());
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
  try {
    if (comma == std::string::npos) throw std::invalid_argument("no comma");
    size_t e1 = 0, e2 = 0;
    const long long off = std::stoll(t.substr(0, comma), &e1);
    const long long id = std::stoll(t.substr(comma + 1), &e2);
    if (e1 != comma || e2 != t.size() - comma - 1) throw std::invalid_argument("junk");
    if (off < 0 || id < 0) {
      b.from_start = true;  // "-1,-1" (GB bug 2)
      return b;
    }
    b.pos = {static_cast<int32_t>(id), static_cast<uint64_t>(off)};
  } catch (const std::exception&) {
    return CorruptionStatus(path + ": '" + t + "' is not \"<offset>,<fileId>\" (I8)");
  }
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
