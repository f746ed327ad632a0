#include "acquire/local_snapshot.h"

#include <algorithm>
#include <map>

#include "catalog/retired_files.h"
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
  // Data files by Rdb name, then by part-0 name (as ListDataFiles groups them).
  std::vector<std::map<std::string, CommittedFile>> by_coll(collections.size());
  for (const DirEntry& e : entries) {
    if (e.is_dir) continue;
    auto name = ParseDataFileName(e.name);
    if (!name) continue;
    for (size_t i = 0; i < collections.size(); i++) {
      if (collections[i]->rdb != name->db) continue;
      ASSIGN_OR_RETURN(FileStat st, fs->Stat(JoinPath(dir, e.name)));
      CommittedFile& f = by_coll[i][name->BaseName()];
      f.id = name->id;
      f.name = name->BaseName();
      f.merge = name->is_merge();
      f.parts.push_back({name->part, e.name, st.size});
      f.total_size += st.size;
    }
  }
  for (size_t i = 0; i < collections.size(); i++) {
    ASSIGN_OR_RETURN(RetiredList retired, ReadRetiredList(fs, workdir, collections[i]->uuid));
    LocalSnapshot& s = out[i];
    s.has_retired = !retired.files.empty();
    for (auto& [n, f] : by_coll[i]) {
      if (s.has_retired && retired.Contains(f.name)) continue;
      std::sort(f.parts.begin(), f.parts.end(),
                [](const DataFilePart& a, const DataFilePart& b) { return a.index < b.index; });
      s.files.push_back(std::move(f));
    }
    std::sort(s.files.begin(), s.files.end(), [](const CommittedFile& a, const CommittedFile& b) {
      return a.id != b.id ? a.id < b.id : a.name < b.name;
    });
  }
  return out;
}

}  // namespace shardtool
