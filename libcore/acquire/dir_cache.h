// DirCache: the process-wide cache of directory listings an acquisition reads every time (a
// database dir and shardtool/journal/), validated by one stat of the directory.
//
// Validity of a hit: the directory's stat stamp (dev, inode, size, mtime, ctime; io/file_system.h
// SameStamp) equals the one taken just before the cached listing, and that stamp was settled
// when taken (mtime and ctime at least kSettledMicros old: an entry added in the same timestamp
// granule as the last change would not move them; git's racy-index rule). A directory whose
// entries change gets a new mtime, so an equal settled stamp means the same entries.
//
// Sizes: a listing also carries the sizes of the data files an acquisition stat'ed while it held
// their collection's lock and saw them committed (TrustSizes). A committed data file is never
// resized (doc/architecture.md §6: written, fsynced, then committed; a merge target grows only
// while uncommitted, and input parts are unlinked, never truncated), so such a size stays right for
// as long as the entry is listed; an unlink or rename changes the directory and drops the listing.
// Every other size is stat'ed by the caller.
//
// Thread-safe. Keyed by (file system, path); MemFileSystem gives each instance its own dev.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "io/file_system.h"

namespace shardtool {

class DirCache {
 public:
  static constexpr int64_t kSettledMicros = 2000000;
  static constexpr size_t kMaxEntries = 64;

  struct Listing {
    std::vector<DirEntry> entries;  // as FileSystem::ListDir
    std::vector<int64_t> sizes;     // parallel to entries: a trusted size, or -1
  };
  using ListingPtr = std::shared_ptr<const Listing>;

  DirCache() = default;
  DirCache(const DirCache&) = delete;
  DirCache& operator=(const DirCache&) = delete;

  // The entries of `dir` (errors as FileSystem::Stat / ListDir, NotFound when it is missing).
  Result<ListingPtr> List(FileSystem* fs, const std::string& dir);
  // Records trusted sizes (index into listing->entries, size) for `listing`, a result of List of
  // `dir`; nothing when the cache has moved on to another listing.
  void TrustSizes(FileSystem* fs, const std::string& dir, const ListingPtr& listing,
                  const std::vector<std::pair<size_t, uint64_t>>& sizes);

  void Clear();
  // Directories actually listed (tests check that hits do not list).
  uint64_t listings() const;

  // The process-wide cache (never destroyed).
  static DirCache* Process();

 private:
  struct Cached {
    FileStat stamp;
    ListingPtr listing;
    uint64_t used = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<FileSystem*, std::string>, Cached> entries_;
  uint64_t listings_ = 0;
  uint64_t clock_ = 0;
};

}  // namespace shardtool
