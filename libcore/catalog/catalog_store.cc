#include "catalog/catalog_store.h"

#include <unistd.h>

#include "catalog/state_paths.h"
#include "io/test_point.h"

namespace shardtool {
namespace {

constexpr uint64_t kMaxCatalogSize = uint64_t{256} << 20;
constexpr int kLoadAttempts = 5;

bool SameFile(const FileStat& a, const FileStat& b) {
  return a.inode == b.inode && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

}  // namespace

CatalogStore::CatalogStore(FileSystem* fs, std::string workdir, CatalogStoreOptions options)
    : fs_(fs),
      workdir_(std::move(workdir)),
      locks_(options.locks != nullptr ? options.locks : ProcessLockManager(fs)),
      pid_(options.pid != 0 ? options.pid : static_cast<long>(::getpid())) {}

std::string CatalogStore::path() const { return CatalogPath(workdir_); }

Result<LoadedCatalog> CatalogStore::Load() const {
  const std::string p = path();
  // stat, read, stat: a rename in between shows as another inode, so the read is repeated and
  // the stat returned always describes the bytes parsed.
  for (int attempt = 0;; attempt++) {
    auto before = fs_->Stat(p);
    if (!before.ok()) {
      if (before.status().code() == ErrorCode::kNotFound) {
        return NotFoundStatus(p + ": no catalog (run `shardtool init --host-id N` first)");
      }
      return before.status();
    }
    auto text = ReadFileToString(fs_, p, kMaxCatalogSize);
    if (!text.ok() && text.status().code() != ErrorCode::kNotFound) return text.status();
    auto after = fs_->Stat(p);
    if (text.ok() && after.ok() && SameFile(*before, *after)) {
      ASSIGN_OR_RETURN(Catalog c, ParseCatalog(*text, p));
      return LoadedCatalog{std::move(c), *after};
    }
    if (attempt + 1 >= kLoadAttempts) {
      return text.ok() ? after.status() : text.status();  // replaced too often: report why
    }
  }
}

Status CatalogStore::RemoveLeftoverTemps() {
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs_->ListDir(StateDir(workdir_)));
  bool removed = false;
  for (const DirEntry& e : entries) {
    if (e.is_dir || e.name.rfind(kCatalogTempPrefix, 0) != 0) continue;
    // Under the global exclusive lock no writer is alive: the file is a dead writer's leftover.
    RETURN_IF_ERROR(fs_->RemoveFile(JoinPath(StateDir(workdir_), e.name)));
    removed = true;
  }
  if (removed) RETURN_IF_ERROR(fs_->SyncDir(StateDir(workdir_)));
  return Status::Ok();
}

Status CatalogStore::WriteTemp(const std::string& tmp, const std::string& text) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, fs_->OpenForWrite(tmp, WriteMode::kTruncate));
  RETURN_IF_ERROR(f->Append(text));
  TEST_POINT("catalog.after_tmp_write");
  RETURN_IF_ERROR(f->Sync());
  return f->Close();
}

Result<CatalogStore::UpdateResult> CatalogStore::Update(const Change& change,
                                                        int64_t lock_timeout_ms) {
  const std::string state_dir = StateDir(workdir_);
  if (!fs_->Exists(state_dir)) {
    RETURN_IF_ERROR(fs_->CreateDirs(state_dir));
    RETURN_IF_ERROR(fs_->SyncDir(workdir_.empty() ? "." : workdir_));
  }
  ASSIGN_OR_RETURN(LockHandle global,
                   locks_->Acquire(GlobalLockPath(workdir_), LockMode::kExclusive,
                                   LockDeadline::After(fs_, lock_timeout_ms), "X"));
  RETURN_IF_ERROR(RemoveLeftoverTemps());

  Current current;
  auto loaded = Load();
  if (loaded.ok()) {
    current.catalog = &loaded->catalog;
  } else if (loaded.status().code() == ErrorCode::kNotFound ||
             loaded.status().code() == ErrorCode::kCorruptCatalog) {
    current.load_status = loaded.status();
  } else {
    return loaded.status();
  }

  ASSIGN_OR_RETURN(OpResult result, change(current));
  UpdateResult out;
  out.notes = std::move(result.notes);
  if (!result.changed) {
    if (current.catalog == nullptr) {
      return InternalErrorStatus("catalog change made no catalog where there was none");
    }
    out.catalog = *current.catalog;
    return out;
  }

  const std::string p = path();
  Status valid = ValidateCatalog(result.catalog, p);
  if (!valid.ok()) {
    return InternalErrorStatus("a catalog change produced an invalid catalog (not written): " +
                               valid.message());
  }
  const uint64_t want = current.catalog != nullptr ? current.catalog->version + 1 : 1;
  const bool from_cluster_ok =
      result.version_from_cluster &&
      (current.catalog == nullptr || current.catalog->epoch != result.catalog.epoch ||
       result.catalog.version > current.catalog->version);
  if (result.catalog.version != want && !from_cluster_ok) {
    return InternalErrorStatus("a catalog change produced catalogVersion " +
                               std::to_string(result.catalog.version) + ", want " +
                               std::to_string(want) + " (not written)");
  }

  const std::string tmp = CatalogTempPath(workdir_, pid_);
  Status s = WriteTemp(tmp, SerializeCatalog(result.catalog));
  if (s.ok()) s = testpoint::kEnabled ? testpoint::Hit("catalog.before_rename") : Status::Ok();
  if (s.ok()) s = fs_->Rename(tmp, p);
  if (!s.ok()) {
    fs_->RemoveFile(tmp).IgnoreError();  // best effort; else the next writer removes it
    return s;
  }
  TEST_POINT("catalog.after_rename");
  if (Status synced = fs_->SyncDir(state_dir); !synced.ok()) {
    // The new catalog is in place and every reader sees it; only its durability is unknown. It
    // cannot be taken back (catalogVersion never goes down), so the error says the change is
    // made: rerunning a change that is not idempotent (reshard, drop-view) would apply it twice.
    return synced.Prefix("the change is made (catalogVersion " +
                         std::to_string(result.catalog.version) + " is in place in " + p +
                         ") but may not survive a machine crash: do not rerun it; after fixing "
                         "the disk, run `sync` and check it with `shardtool catalog show`");
  }
  out.catalog = std::move(result.catalog);
  out.written = true;
  return out;
}

}  // namespace shardtool
