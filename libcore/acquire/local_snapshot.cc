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

Result<std::set<std::string>> ListJournal(FileSystem* fs, const std::string& workdir,
                                          DirCache* cache) {
  std::set<std::string> out;
  if (cache != nullptr) {
    auto listing = cache->List(fs, JournalDir(workdir));
    if (!listing.ok()) {
      if (listing.status().code() == ErrorCode::kNotFound) return out;
      return listing.status();
    }
    for (const DirEntry& e : (*listing)->entries) {
      if (!e.is_dir) out.insert(e.name);
    }
    return out;
  }
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
    const std::vector<const CollectionEntry*>& collections, DirCache* cache,
    bool under_coll_locks) {
  std::vector<LocalSnapshot> out(collections.size());
  const std::string dir = JoinPath(workdir, db.DirName());
  for (LocalSnapshot& s : out) s.dir = dir;
  if (collections.empty()) return out;

  DirCache::ListingPtr listing;
  if (cache != nullptr) {
    auto l = cache->List(fs, dir);
    if (l.ok()) {
      listing = std::move(l).value();
    } else if (l.status().code() != ErrorCode::kNotFound) {
      return l.status();
    }
  } else {
    auto l = fs->ListDir(dir);
    if (l.ok()) {
      auto owned = std::make_shared<DirCache::Listing>();
      owned->sizes.assign(l->size(), -1);
      owned->entries = std::move(l).value();
      listing = std::move(owned);
    } else if (l.status().code() != ErrorCode::kNotFound) {
      return l.status();
    }
  }
  static const std::vector<DirEntry> kNone;
  const std::vector<DirEntry>& entries = listing ? listing->entries : kNone;
  // Sizes stat'ed here, by entry index (trusted afterwards, under_coll_locks).
  std::vector<std::pair<size_t, uint64_t>> stated;
  // Data files by collection, then by part-0 name (as ListDataFiles groups them). Hot path of
  // every acquisition: each entry is parsed once and paths are built by plain concatenation.
  std::vector<std::vector<CommittedFile>> by_coll(collections.size());
  std::string path = dir + "/";
  const size_t dir_len = path.size();
  for (size_t k = 0; k < entries.size(); k++) {
    const DirEntry& e = entries[k];
    if (e.is_dir) continue;
    auto name = ParseDataFileName(e.name);
    if (!name) continue;
    size_t i = 0;
    while (i < collections.size() && collections[i]->rdb != name->db) i++;
    if (i == collections.size()) continue;
    uint64_t size;
    if (listing->sizes[k] >= 0) {
      size = static_cast<uint64_t>(listing->sizes[k]);
    } else {
      path.resize(dir_len);
      path += e.name;
      ASSIGN_OR_RETURN(FileStat st, fs->Stat(path));
      size = st.size;
      if (under_coll_locks && cache != nullptr) stated.emplace_back(k, size);
    }
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
    it->parts.push_back({name->part, e.name, size});
    it->total_size += size;
  }
  // Retired lists: one listing of journal/ says which collections have one.
  ASSIGN_OR_RETURN(std::set<std::string> journal, ListJournal(fs, workdir, cache));
  // Names whose sizes may be trusted: committed or retired files (not a hidden merge target).
  std::set<std::string> untrusted;
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
      if (merge) {
        std::vector<CommittedFile> before = s.files;
        HideUncommittedMergeTarget(*merge, &s.files);
        for (const CommittedFile& f : before) {
          if (std::find(s.files.begin(), s.files.end(), f) == s.files.end()) {
            for (const DataFilePart& p : f.parts) untrusted.insert(p.name);
          }
        }
      }
    }
  }
  if (!stated.empty()) {
    std::erase_if(stated, [&](const std::pair<size_t, uint64_t>& st) {
      return untrusted.count(entries[st.first].name) > 0;
    });
    cache->TrustSizes(fs, dir, listing, stated);
  }
  return out;
}

}  // namespace shardtool
