// CatalogStore: shardtool/catalog.json on disk — loading it, and replacing it atomically
// (doc/acquisition.md §2 "Atomic replace").
//
// Readers take no lock: the file is only ever replaced by rename, so a reader sees the old or the
// new catalog, never a mix. A writer (Update) holds the global lock exclusively (locks/global, the
// "X" of doc/acquisition.md §5) for the whole read-change-write, removes temporaries left by
// writers that died, reads the current catalog, applies the change, and when the change says so
// writes catalog.json.tmp.<pid>, fsyncs it, renames it over catalog.json and fsyncs shardtool/. A
// crash at any instant leaves the old or the new catalog, both valid, and catalogVersion never goes
// down. Test points, in order: "catalog.after_tmp_write" (bytes written, not yet fsynced),
// "catalog.before_rename" (fsynced), "catalog.after_rename" (renamed, directory not yet fsynced).
//
// Before writing, Update checks the new catalog: valid (ValidateCatalog), and catalogVersion the
// current one + 1 (1 when there is no readable current catalog), or for `catalog apply`
// (OpResult::version_from_cluster) higher than the current one in the same epoch; a breach is
// InternalError and nothing is written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/catalog_ops.h"
#include "io/file_system.h"
#include "io/lock_manager.h"

namespace shardtool {

struct CatalogStoreOptions {
  LockManager* locks = nullptr;  // default: ProcessLockManager(fs)
  long pid = 0;                  // names the temporary; default: getpid()
};

struct LoadedCatalog {
  Catalog catalog;
  FileStat stat;  // of catalog.json as read (inode, size, mtime: unchanged means not rewritten)
};

class CatalogStore {
 public:
  CatalogStore(FileSystem* fs, std::string workdir, CatalogStoreOptions options = {});

  const std::string& workdir() const { return workdir_; }
  std::string path() const;

  // Reads and validates catalog.json. NotFound (exit 3) when there is none, CorruptCatalog when it
  // is invalid, the file system's error otherwise.
  Result<LoadedCatalog> Load() const;

  // What a change sees: the current catalog (null when there is none or it is unreadable) and the
  // status of reading it (Ok, NotFound or CorruptCatalog).
  struct Current {
    const Catalog* catalog = nullptr;
    Status load_status;
  };
  using Change = std::function<Result<OpResult>(const Current& current)>;

  struct UpdateResult {
    Catalog catalog;  // the catalog now on disk (the new one when written)
    bool written = false;
    std::vector<ChangeNote> notes;
  };

  // The atomic read-change-write described atop this file. The global lock is waited for as
  // doc/acquisition.md §5 says (lock_timeout_ms 0: one try). Errors: LockTimeout, the change's
  // error, InternalError for an invalid result, the file system's errors (and a test point's). A
  // failed fsync of shardtool/ after the rename is an error whose message says the new catalog is
  // in place (it cannot be taken back; only its durability is unknown).
  Result<UpdateResult> Update(const Change& change, int64_t lock_timeout_ms);

 private:
  Status RemoveLeftoverTemps();
  Status WriteTemp(const std::string& tmp, const std::string& text);

  FileSystem* fs_;
  std::string workdir_;
  LockManager* locks_;
  long pid_;
};

}  // namespace shardtool
