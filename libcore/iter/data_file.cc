#include "iter/data_file.h"

namespace shardtool {

Result<std::pair<uint64_t, const uint8_t*>> DataFile::FirstReadable() const {
  if (!big->headless()) return std::pair<uint64_t, const uint8_t*>{0, nullptr};
  if (!map) {
    return CorruptionStatus(big->path() +
                            ": headless file without a usable map: the first record "
                            "in part " +
                            std::to_string(big->first_part()) + " cannot be found (D6)");
  }
  const uint64_t first = big->first_offset();
  const int64_t ps = map->page_size();
  for (int64_t p = static_cast<int64_t>((first - static_cast<uint64_t>(map->chopped_head())) / ps);
       p < map->num_pages(); p++) {
    if (map->page_offset(p) >= 0) {
      return std::pair<uint64_t, const uint8_t*>{static_cast<uint64_t>(map->GetAbsoluteOffset(p)),
                                                 map->page_key(p)};
    }
  }
  return std::pair<uint64_t, const uint8_t*>{big->logical_size(), nullptr};
}

namespace {
// How much larger than the data needs a map may be and still be read (its checks then say what
// is wrong with it): enough for a map left by data that lost its end, small enough to read.
constexpr uint64_t kMapSizeSlack = uint64_t{8} << 20;
}  // namespace

Result<DataFile> OpenDataFile(FileSystem* fs, const std::string& dir, const std::string& data_name,
                              const std::vector<DirEntry>* entries, const OpenDataFileOptions& opt,
                              std::vector<Finding>* findings) {
  const std::string rel = JoinPath(dir, data_name);
  auto parsed = ParseDataFileName(data_name);
  if (!parsed || parsed->part != 0) {
    return UsageErrorStatus(rel + ": not a data file name (doc/format.md §4)");
  }
  DataFile df;
  df.name = *parsed;
  df.rdb = opt.rdb ? opt.rdb : FindRdb(parsed->db);
  if (df.rdb == nullptr) {
    return UsageErrorStatus(rel + ": '" + parsed->db + "' is not a known Rdb (use --rdb)");
  }
  std::vector<DirEntry> listed;
  if (entries == nullptr) {
    ASSIGN_OR_RETURN(listed, fs->ListDir(dir));
    entries = &listed;
  }
  std::vector<Finding> scratch;
  if (findings == nullptr) findings = &scratch;
  CheckDataFileName(df.name, df.rdb->titledb_naming, rel, findings);
  ASSIGN_OR_RETURN(df.big, BigFile::Open(fs, dir, data_name, *entries, df.rdb->page_size,
                                         opt.default_part_size, findings));
  // The map and sidecar of a merge target are named after its (even) id as well.
  df.map_name = MapName(df.name.db, df.name.id);
  df.crc_name = CrcName(df.name.db, df.name.id);
  bool map_present = false;
  for (const DirEntry& e : *entries) {
    if (e.name == df.map_name && !e.is_dir) map_present = !e.is_symlink;
    if (e.name == df.crc_name && !e.is_dir) df.has_crc = !e.is_symlink;
  }
  const std::string map_path = JoinPath(dir, df.map_name);
  if (!map_present) {
    df.map_status = NotFoundStatus(map_path + ": map file missing (D6)");
    AddFinding(findings, "D6", Severity::kError, rel, -1, -1, "",
               "map file " + df.map_name + " is missing");
    return df;
  }
  // A map far larger than the data can need (a hostile or sparse file) is refused before it is
  // read: reading it would take as much memory as it claims.
  if (auto st = fs->Stat(map_path); st.ok()) {
    const uint64_t ks = static_cast<uint64_t>(df.rdb->key_size);
    const uint64_t pages = df.big->logical_size() / df.rdb->page_size + 2;
    const uint64_t most = 32 + ks + pages * (ks + 2) + kMapSizeSlack;
    if (st->size > most) {
      df.map_status = CorruptionStatus(
          map_path + ": map is " + std::to_string(st->size) + " bytes, but the data (" +
          std::to_string(df.big->logical_size()) + " bytes) needs at most " +
          std::to_string(most - kMapSizeSlack) + "; not read (M1)");
      return df;
    }
  }
  auto bytes = ReadFileToString(fs, map_path, opt.max_map_size);
  if (!bytes.ok()) {
    df.map_status = bytes.status();
    return df;
  }
  auto map = PageMap::Parse(*bytes, df.rdb->key_size, df.rdb->page_size, map_path);
  if (!map.ok()) {
    df.map_status = map.status();
    return df;
  }
  df.map = std::move(map).value();
  // The map is kept as stored (choppedHead as on disk): the structural checks (M2-M4) judge the
  // stored form, and lookups work on it for headless files too, since pages of missing parts keep
  // their entries. GB's in-memory chopHead only saves memory; the merge does it explicitly.
  return df;
}

Result<std::pair<std::string, std::string>> ResolveDataFilePath(FileSystem* fs,
                                                                const std::string& path) {
  std::string dir = DirName(path);
  std::string base = BaseName(path);
  if (auto parsed = ParseDataFileName(base)) {
    return std::pair<std::string, std::string>{dir, parsed->BaseName()};
  }
  // A map or sidecar name: find the data file with that db and id in the directory.
  for (const char* ext : {".map", ".crc"}) {
    const std::string e(ext);
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) {
      const std::string stem = base.substr(0, base.size() - e.size());
      ASSIGN_OR_RETURN(auto entries, fs->ListDir(dir));
      for (const DirEntry& d : entries) {
        auto parsed = ParseDataFileName(d.name);
        if (!parsed || parsed->part != 0) continue;
        if (MapName(parsed->db, parsed->id) == stem + ".map") {
          return std::pair<std::string, std::string>{dir, parsed->BaseName()};
        }
      }
      return NotFoundStatus(path + ": no data file belongs to this " + e.substr(1) + " file");
    }
  }
  return UsageErrorStatus(path + ": not a data, map or sidecar file name (doc/format.md §4)");
}

}  // namespace shardtool
