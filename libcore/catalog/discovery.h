// Discovery: what the working dir holds, as the catalog needs it (doc/acquisition.md §2, §4).
//
// Databases are the directories "coll.<name>.<collnum>/" of the working dir whose name follows the
// namespace rules (namespace.h); other "coll." entries are listed as ignored. A database's
// collections are the registry Rdbs with at least one data file there (any doc/format.md §4
// data-file name: normal or merge file, any part).
//
// A collection's committed file set (the local catalog snapshot of an acquisition) is its data
// files on disk — normal and merge files, each with its present parts and their sizes, sorted by
// (id, name) — minus the files listed in shardtool/journal/retired.<uuid>.json. Maps, sidecars and
// temporaries are not data files. Two listings compare equal when nothing was added, retired or
// resized in between (the lock-free read protocol compares them, doc/acquisition.md §5).
//
// A merge target that shardtool is still writing is not committed either (doc/format.md §8.9, see
// doc/format-notes.md "Merge targets in snapshots"): when journal/merge.<uuid>.json exists, its
// target (`<db>NNNN.mmm.dat`) is left out while the journal's state is "merging", and while it is
// "incorporating" in phase "" until the commit (no input left in the committed set: every input is
// retired or gone). In phase "rename" the inputs are gone and the target is the data: it is in.
// Readers thus see the inputs or the target, never both and never neither. A merge file without a
// journal (a Gigablast merge) is listed as before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "format/rdb_registry.h"
#include "io/file_system.h"

namespace shardtool {

struct DiscoveredDatabase {
  std::string name;
  int32_t collnum = 0;
  std::string dir;                // "coll.<name>.<collnum>", relative to the working dir
  std::vector<std::string> rdbs;  // registry Rdbs with a data file, sorted by name
  friend bool operator==(const DiscoveredDatabase&, const DiscoveredDatabase&) = default;
};

struct Discovery {
  std::vector<DiscoveredDatabase> databases;  // sorted by (name, collnum)
  std::vector<std::string> ignored;           // "coll.*" entries that are not database dirs
};

// Lists the working dir. A missing working dir is NotFound.
Result<Discovery> DiscoverDatabases(FileSystem* fs, const std::string& workdir);

// Registry Rdbs (sorted by name) that have a data file among `entries`.
std::vector<std::string> RdbsWithDataFiles(const std::vector<DirEntry>& entries);

struct DataFilePart {
  int32_t index = 0;  // 0 = the bare name
  std::string name;
  uint64_t size = 0;
  friend bool operator==(const DataFilePart&, const DataFilePart&) = default;
};

struct CommittedFile {
  int32_t id = 0;
  std::string name;  // the part-0 data name, e.g. "titledb0001-000.dat"
  bool merge = false;
  std::vector<DataFilePart> parts;  // present parts, by index
  uint64_t total_size = 0;          // sum of the present parts' sizes
  friend bool operator==(const CommittedFile&, const CommittedFile&) = default;
};

// Every data file of `rdb` in `dir` (a path), sorted by (id, name). A missing dir gives none.
Result<std::vector<CommittedFile>> ListDataFiles(FileSystem* fs, const std::string& dir,
                                                 const RdbInfo& rdb);
// The committed file set of collection `c` of `catalog` in `workdir`: ListDataFiles of its
// database dir minus its retired list. NotFound when c's database is not in the catalog;
// CorruptCatalog when the retired list is unreadable.
Result<std::vector<CommittedFile>> ListCommittedFiles(FileSystem* fs, const std::string& workdir,
                                                      const Catalog& catalog,
                                                      const CollectionEntry& c);

// What a snapshot needs of a collection's merge journal (the jobs layer owns the full format).
struct MergeVisibility {
  bool readable = true;  // false: the journal exists but does not parse
  bool incorporating = false;
  bool rename = false;              // phase "rename"
  std::string target;               // the target's part-0 data name
  std::vector<std::string> inputs;  // the inputs' part-0 names
};

// journal/merge.<uuid>.json's name in the journal dir.
std::string MergeJournalFileName(std::string_view uuid);
// Reads the collection's merge journal; nullopt when there is none. A journal that does not parse
// gives {readable = false} (an operator's problem for the merge, not a reader's), I/O errors fail.
Result<std::optional<MergeVisibility>> ReadMergeVisibility(FileSystem* fs, std::string_view workdir,
                                                           std::string_view uuid);
// Removes an uncommitted merge target from `files` (a committed set, retired files already out).
// With an unreadable journal every merge file whose first input (id + 1) is still listed is left
// out: the on-disk form of the same rule.
void HideUncommittedMergeTarget(const MergeVisibility& m, std::vector<CommittedFile>* files);

}  // namespace shardtool
