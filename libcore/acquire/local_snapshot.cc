#include "acquire/local_snapshot.h"

#include <algorithm>
#include <set>

#include "catalog/retired_files.h"
#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "format/rdb_registry.h"

namespace shardtool {

uint64_t LocalSnapshot::total_size() const {
  uint64_t n = 0;
  for (const CommittedFile& f : files) n += f.total_size;
  return n;
}

std::vector<std::string> LocalSnapshot::names() const {
  std::vector<std::string> out;
  out.reserve(files.size());
  for (const CommittedFile& f : files) out.push_back(f.name);
  return out;
}

Result<std::set<std::string>> ListJournal(FileSystem* fs, const std::string& workdir) {
  std::set<std::string> out;
  auto entries = fs->ListDir(JournalDir(workdir));
  if (!entries.ok()) {
    if (entries.status().code() == ErrorCode::kNotFound) return out;
    return entries.status();
  }
  for (DirEntry& e : *entries) {
    if (!e.is_dir) out.insert(std::move(e.name));
  }
  return out;
}

Result<std::vector<LocalSnapshot>> ListCommittedSets(
    FileSystem* fs, const std::string& workdir, const DatabaseEntry& db,
    const std::vector<const CollectionEntry*>& collections) {
  std::vector<LocalSnapshot> out(collections.size());
  const std::string dir = JoinPath(workdir, db.DirName());
  for (LocalSnapshot& s : out) s.dir = dir;
  if (collections.empty()) return out;

  std::vector<DirEntry> entries;
  auto listing = fs->ListDir(dir);
  if (listing.ok()) {
    entries = std::move(listing).value();
  } else if (listing.status().code() != ErrorCode::kNotFound) {
    return listing.status();
  }
  // Data files by collection, then by part-0 name (as ListDataFiles groups them). Hot path of
  // every acquisition: each entry is parsed once and paths are built by plain concatenation.
  std::vector<std::vector<CommittedFile>> by_coll(collections.size());
  std::string path = dir + "/";
  const size_t dir_len = path.size();
  for (const DirEntry& e : entries) {
    if (e.is_dir) continue;
    auto name = ParseDataFileName(e.name);
    if (!name) continue;
    size_t i = 0;
    while (i < collections.size() && collections[i]->rdb != name->db) i++;
    if (i == collections.size()) continue;
    path.resize(dir_len);
    path += e.name;
    ASSIGN_OR_RETURN(FileStat st, fs->Stat(path));
    std::string base = name->part == 0 ? e.name : name->BaseName();
    std::vector<CommittedFile>& files = by_coll[i];
    auto it = std::find_if(files.begin(), files.end(),
                           [&](const CommittedFile& f) { return f.name == base; });
    if (it == files.end()) {
      files.emplace_back();
      it = files.end() - 1;
      it->id = name->id;
      it->name = std::move(base);
      it->merge = name->is_merge();
    }
    it->parts.push_back({name->part, e.name, st.size});
    it->total_size += st.size;
  }
  // Retired lists: one listing of journal/ says which collections have one.
  ASSIGN_OR_RETURN(std::set<std::string> journal, ListJournal(fs, workdir));
  for (size_t i = 0; i < collections.size(); i++) {
    RetiredList retired;
    if (!journal.empty() && journal.count("retired." + collections[i]->uuid + ".json") > 0) {
      ASSIGN_OR_RETURN(retired, ReadRetiredList(fs, workdir, collections[i]->uuid));
    }
    LocalSnapshot& s = out[i];
    s.has_retired = !retired.files.empty();
    for (CommittedFile& f : by_coll[i]) {
      if (s.has_retired && retired.Contains(f.name)) continue;
      if (f.parts.size() > 1) {
        std::sort(f.parts.begin(), f.parts.end(),
                  [](const DataFilePart& a, const DataFilePart& b) { return a.index < b.index; });
      }
      s.files.push_back(std::move(f));
    }
    std::sort(s.files.begin(), s.files.end(), [](const CommittedFile& a, const CommittedFile& b) {
      return a.id != b.id ? a.id < b.id : a.name < b.name;
    });
    // A merge target still being written is not committed (discovery.h).
    if (!journal.empty() && journal.count(MergeJournalFileName(collections[i]->uuid)) > 0) {
      ASSIGN_OR_RETURN(std::optional<MergeVisibility> merge,
                       ReadMergeVisibility(fs, workdir, collections[i]->uuid));
      if (merge) HideUncommittedMergeTarget(*merge, &s.files);
    }
  }
  return out;
}

}  // namespace shardtool
