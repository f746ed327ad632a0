#include "catalog/discovery.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "catalog/namespace.h"
#include "catalog/retired_files.h"
#include "catalog/state_json.h"
#include "catalog/state_paths.h"
#include "format/file_name.h"

namespace shardtool {

Result<Discovery> DiscoverDatabases(FileSystem* fs, const std::string& workdir) {
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(workdir.empty() ? "." : workdir));
  Discovery out;
  for (const DirEntry& e : entries) {
    if (e.name.rfind("coll.", 0) != 0) continue;
    auto parsed = ParseDatabaseDirName(e.name);
    if (!e.is_dir || !parsed) {
      out.ignored.push_back(e.name);
      continue;
    }
    DiscoveredDatabase db;
    db.name = parsed->db;
    db.collnum = parsed->collnum;
    db.dir = e.name;
    ASSIGN_OR_RETURN(std::vector<DirEntry> files, fs->ListDir(JoinPath(workdir, e.name)));
    db.rdbs = RdbsWithDataFiles(files);
    out.databases.push_back(std::move(db));
  }
  std::sort(out.databases.begin(), out.databases.end(), [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.collnum < b.collnum;
  });
  return out;
}

std::vector<std::string> RdbsWithDataFiles(const std::vector<DirEntry>& entries) {
  std::set<std::string> rdbs;
  for (const DirEntry& e : entries) {
    if (e.is_dir) continue;
    auto name = ParseDataFileName(e.name);
    if (name && FindRdb(name->db) != nullptr) rdbs.insert(name->db);
  }
  return {rdbs.begin(), rdbs.end()};
}

Result<std::vector<CommittedFile>> ListDataFiles(FileSystem* fs, const std::string& dir,
                                                 const RdbInfo& rdb) {
  auto listing = fs->ListDir(dir);
  if (!listing.ok()) {
    if (listing.status().code() == ErrorCode::kNotFound) return std::vector<CommittedFile>{};
    return listing.status();
  }
  std::map<std::string, CommittedFile> by_name;
  for (const DirEntry& e : *listing) {
    if (e.is_dir) continue;
    auto name = ParseDataFileName(e.name);
    if (!name || name->db != rdb.name) continue;
    ASSIGN_OR_RETURN(FileStat st, fs->Stat(JoinPath(dir, e.name)));
    CommittedFile& f = by_name[name->BaseName()];
    f.id = name->id;
    f.name = name->BaseName();
    f.merge = name->is_merge();
    f.parts.push_back({name->part, e.name, st.size});
    f.total_size += st.size;
  }
  std::vector<CommittedFile> out;
  for (auto& [n, f] : by_name) {
    std::sort(f.parts.begin(), f.parts.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const CommittedFile& a, const CommittedFile& b) {
    return a.id != b.id ? a.id < b.id : a.name < b.name;
  });
  return out;
}

Result<std::vector<CommittedFile>> ListCommittedFiles(FileSystem* fs, const std::string& workdir,
                                                      const Catalog& catalog,
                                                      const CollectionEntry& c) {
  const DatabaseEntry* db = catalog.FindDatabase(c.db());
  if (db == nullptr) {
    return NotFoundStatus("database " + std::string(c.db()) + " of " + c.ns +
                          " is not in the catalog");
  }
  const RdbInfo* rdb = FindRdb(c.rdb);
  if (rdb == nullptr) return InternalErrorStatus(c.ns + ": unknown Rdb " + c.rdb);
  ASSIGN_OR_RETURN(RetiredList retired, ReadRetiredList(fs, workdir, c.uuid));
  ASSIGN_OR_RETURN(std::vector<CommittedFile> files,
                   ListDataFiles(fs, JoinPath(workdir, db->DirName()), *rdb));
  std::erase_if(files, [&](const CommittedFile& f) { return retired.Contains(f.name); });
  ASSIGN_OR_RETURN(std::optional<MergeVisibility> merge, ReadMergeVisibility(fs, workdir, c.uuid));
  if (merge) HideUncommittedMergeTarget(*merge, &files);
  return files;
}

std::string MergeJournalFileName(std::string_view uuid) {
  return "merge." + std::string(uuid) + ".json";
}

Result<std::optional<MergeVisibility>> ReadMergeVisibility(FileSystem* fs, std::string_view workdir,
                                                           std::string_view uuid) {
  const std::string path = JoinPath(JournalDir(workdir), MergeJournalFileName(uuid));
  auto text = ReadFileToString(fs, path);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kNotFound) return std::optional<MergeVisibility>();
    return text.status();
  }
  MergeVisibility m;
  auto parsed = ParseStateJsonChecked<nlohmann::json>(*text);
  if (!parsed.ok()) {
    m.readable = false;
    return std::optional<MergeVisibility>(std::move(m));
  }
  try {
    const nlohmann::json& j = *parsed;
    const std::string state = j.at("state").get<std::string>();
    m.incorporating = state == "incorporating";
    m.rename = m.incorporating && j.value("phase", std::string()) == "rename";
    m.target = j.at("target").at("data").get<std::string>();
    for (const auto& in : j.at("inputs")) m.inputs.push_back(in.at("name").get<std::string>());
    if (state != "merging" && !m.incorporating) m.readable = false;
  } catch (const nlohmann::json::exception&) {
    m = MergeVisibility{};
    m.readable = false;
  }
  return std::optional<MergeVisibility>(std::move(m));
}

void HideUncommittedMergeTarget(const MergeVisibility& m, std::vector<CommittedFile>* files) {
  auto listed = [&](std::string_view name) {
    return std::any_of(files->begin(), files->end(),
                       [&](const CommittedFile& f) { return f.name == name; });
  };
  if (!m.readable) {
    std::vector<std::string> hide;
    for (const CommittedFile& f : *files) {
      if (!f.merge) continue;
      for (const CommittedFile& g : *files) {
        if (!g.merge && g.id == f.id + 1) hide.push_back(f.name);
      }
    }
    std::erase_if(*files, [&](const CommittedFile& f) {
      return std::find(hide.begin(), hide.end(), f.name) != hide.end();
    });
    return;
  }
  if (m.rename) return;
  const bool committed =
      m.incorporating && std::none_of(m.inputs.begin(), m.inputs.end(),
                                      [&](const std::string& in) { return listed(in); });
  if (!committed) std::erase_if(*files, [&](const CommittedFile& f) { return f.name == m.target; });
}

}  // namespace shardtool
