// The local catalog snapshot of an acquisition (doc/acquisition.md §4): each collection's committed
// files at acquisition, sorted by (id, name), with their parts and sizes. Committed = the data
// files on disk (doc/format.md §4 names) minus those listed in
// shardtool/journal/retired.<uuid>.json.
//
// ListCommittedSets lists the database dir once for all the collections of an acquisition call
// (one readdir, one stat per part of an acquired Rdb, one retired list read per collection) and
// gives exactly what catalog/discovery.h ListCommittedFiles gives per collection. Two listings
// compare equal when nothing was added, retired or resized in between (the lock-free protocol,
// §5). The snapshot also remembers whether the collection's retired list was non-empty, so that
// releases and writes only try to delete retired files when there are some.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "acquire/dir_cache.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/discovery.h"
#include "io/file_system.h"

namespace shardtool {

struct LocalSnapshot {
  std::string dir;                   // the database dir (workdir/coll.<db>.<collnum>)
  std::vector<CommittedFile> files;  // committed files, sorted by (id, name)
  bool has_retired = false;          // the retired list named files when listed

  uint64_t total_size() const;
  // The files' part-0 names, in order (what a lease lists).
  std::vector<std::string> names() const;
  friend bool operator==(const LocalSnapshot&, const LocalSnapshot&) = default;
};

// The names of the files in shardtool/journal/ (none when it does not exist). With a cache, the
// listing comes from it when the directory is unchanged.
Result<std::set<std::string>> ListJournal(FileSystem* fs, const std::string& workdir,
                                          DirCache* cache = nullptr);

// The committed file sets of `collections` (all of database `db`, entries of `catalog`), in the
// same order. REQUIRES: db is in the catalog. Errors: the file system's; CorruptCatalog for an
// unreadable retired list. With a cache, the database dir and journal/ listings come from it when
// unchanged, and so do the sizes it trusts; `under_coll_locks` (the caller holds the coll lock of
// every collection listed, so no merge of them runs) lets the sizes of committed and retired files
// stat'ed here be trusted (dir_cache.h).
Result<std::vector<LocalSnapshot>> ListCommittedSets(
    FileSystem* fs, const std::string& workdir, const DatabaseEntry& db,
    const std::vector<const CollectionEntry*>& collections, DirCache* cache = nullptr,
    bool under_coll_locks = false);

}  // namespace shardtool
