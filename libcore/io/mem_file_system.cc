#include "io/mem_file_system.h"

#include "io/mem_file_system_state.h"

namespace shardtool {
namespace {

using State = MemFileSystem::State;
using NodePtr = State::NodePtr;

class MemRandomAccessFile : public RandomAccessFile {
 public:
  MemRandomAccessFile(std::shared_ptr<State> s, NodePtr node, std::string path, uint64_t epoch)
      : s_(std::move(s)), node_(std::move(node)), path_(std::move(path)), epoch_(epoch) {}

  Status Read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) override {
    *got = 0;
    std::lock_guard<std::mutex> lock(s_->mu);
    RETURN_IF_ERROR(s_->CheckHandle(epoch_, "pread", path_));
    const std::string& d = node_->data;
    if (offset >= d.size()) return Status::Ok();
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, d.size() - offset));
    std::copy_n(d.data() + offset, k, dst);
    *got = k;
    return Status::Ok();
  }

  Result<uint64_t> Size() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    RETURN_IF_ERROR(s_->CheckHandle(epoch_, "fstat", path_));
    return static_cast<uint64_t>(node_->data.size());
  }

  const std::string& path() const override { return path_; }

 private:
  std::shared_ptr<State> s_;
  NodePtr node_;
  std::string path_;
  uint64_t epoch_;
};

class MemWritableFile : public WritableFile {
 public:
  MemWritableFile(std::shared_ptr<State> s, NodePtr node, std::string path, uint64_t epoch,
                  uint64_t size)
      : s_(std::move(s)),
        node_(std::move(node)),
        path_(std::move(path)),
        epoch_(epoch),
        size_(size) {}

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    RETURN_IF_ERROR(s_->CheckHandle(epoch_, "write", path_));
    if (closed_) return InternalErrorStatus("append " + path_ + ": file is closed");
    if (int err = s_->Reserve(data.size())) return ErrnoStatus(err, "write", path_);
    node_->data.append(data);
    s_->NotePeak();
    node_->mtime_ns = s_->now_micros * 1000;
    size_ += data.size();
    return Status::Ok();
  }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    RETURN_IF_ERROR(s_->CheckHandle(epoch_, "fsync", path_));
    if (closed_) return InternalErrorStatus("fsync " + path_ + ": file is closed");
    node_->durable_data = node_->data;
    return Status::Ok();
  }

  Status Close() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (closed_) return Status::Ok();
    closed_ = true;
    return s_->CheckHandle(epoch_, "close", path_);
  }

  uint64_t Size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  std::shared_ptr<State> s_;
  NodePtr node_;
  std::string path_;
  uint64_t epoch_;
  uint64_t size_;
  bool closed_ = false;
};

class MemFileLock : public FileLock {
 public:
  MemFileLock(std::shared_ptr<State> s, NodePtr node, std::string path, uint64_t epoch,
              LockMode mode)
      : s_(std::move(s)),
        node_(std::move(node)),
        path_(std::move(path)),
        epoch_(epoch),
        mode_(mode) {}

  // Releases the lock unless a crash already dropped every lock.
  ~MemFileLock() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (epoch_ != s_->epoch) return;
    auto it = s_->locks.find(node_.get());
    if (it == s_->locks.end()) return;
    if (mode_ == LockMode::kExclusive) {
      it->second.exclusive = false;
    } else {
      --it->second.shared;
    }
    if (!it->second.exclusive && it->second.shared == 0) s_->locks.erase(it);
    s_->cv.notify_all();
  }

  const std::string& path() const override { return path_; }

 private:
  std::shared_ptr<State> s_;
  NodePtr node_;
  std::string path_;
  uint64_t epoch_;
  LockMode mode_;
};

}  // namespace

MemFileSystem::MemFileSystem() : state_(std::make_shared<State>()) {}
MemFileSystem::~MemFileSystem() = default;

Result<std::unique_ptr<RandomAccessFile>> MemFileSystem::OpenForRead(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("open", path));
  NodePtr node;
  if (int err = state_->Resolve(path, &node)) return ErrnoStatus(err, "open", path);
  if (node->is_dir) return ErrnoStatus(EISDIR, "open", path);
  return std::unique_ptr<RandomAccessFile>(
      new MemRandomAccessFile(state_, node, path, state_->epoch));
}

Result<std::unique_ptr<WritableFile>> MemFileSystem::OpenForWrite(const std::string& path,
                                                                  WriteMode mode) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("open", path));
  NodePtr dir;
  std::string leaf;
  if (int err = state_->ResolveParent(path, &dir, &leaf)) return ErrnoStatus(err, "open", path);
  NodePtr node;
  auto it = dir->entries.find(leaf);
  if (it != dir->entries.end()) {
    node = it->second;
    if (node->is_dir) return ErrnoStatus(EISDIR, "open", path);
    if (mode == WriteMode::kCreateExclusive) return ErrnoStatus(EEXIST, "open", path);
    if (mode == WriteMode::kTruncate) {
      node->data.clear();
      node->mtime_ns = state_->now_micros * 1000;
    }
  } else {
    node = state_->NewNode(false);
    dir->entries[leaf] = node;
    dir->mtime_ns = state_->now_micros * 1000;
  }
  return std::unique_ptr<WritableFile>(
      new MemWritableFile(state_, node, path, state_->epoch, node->data.size()));
}

Result<FileStat> MemFileSystem::Stat(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("lstat", path));
  NodePtr node;
  if (int err = state_->Resolve(path, &node)) return ErrnoStatus(err, "lstat", path);
  FileStat st;
  st.size = node->is_dir ? 0 : node->data.size();
  st.is_dir = node->is_dir;
  st.inode = node->inode;
  st.mtime_ns = node->mtime_ns;
  st.dev = state_->dev;
  return st;
}

bool MemFileSystem::Exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->frozen) return false;
  NodePtr node;
  return state_->Resolve(path, &node) == 0;
}

Result<std::vector<DirEntry>> MemFileSystem::ListDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("opendir", path));
  NodePtr node;
  if (int err = state_->Resolve(path, &node)) return ErrnoStatus(err, "opendir", path);
  if (!node->is_dir) return ErrnoStatus(ENOTDIR, "opendir", path);
  std::vector<DirEntry> out;
  for (const auto& [name, child] : node->entries) out.push_back({name, child->is_dir, false});
  return out;
}

Status MemFileSystem::CreateDirs(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("mkdir", path));
  if (int err = state_->MakeDirs(path, nullptr)) return ErrnoStatus(err, "mkdir", path);
  return Status::Ok();
}

Status MemFileSystem::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("unlink", path));
  NodePtr dir;
  std::string leaf;
  if (int err = state_->ResolveParent(path, &dir, &leaf)) return ErrnoStatus(err, "unlink", path);
  auto it = dir->entries.find(leaf);
  if (it == dir->entries.end()) return ErrnoStatus(ENOENT, "unlink", path);
  if (it->second->is_dir) return ErrnoStatus(EISDIR, "unlink", path);
  dir->entries.erase(it);
  return Status::Ok();
}

Status MemFileSystem::RemoveDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("rmdir", path));
  NodePtr dir;
  std::string leaf;
  if (int err = state_->ResolveParent(path, &dir, &leaf)) {
    return ErrnoStatus(err == EINVAL ? EBUSY : err, "rmdir", path);
  }
  auto it = dir->entries.find(leaf);
  if (it == dir->entries.end()) return ErrnoStatus(ENOENT, "rmdir", path);
  if (!it->second->is_dir) return ErrnoStatus(ENOTDIR, "rmdir", path);
  if (!it->second->entries.empty()) return ErrnoStatus(ENOTEMPTY, "rmdir", path);
  dir->entries.erase(it);
  return Status::Ok();
}

Status MemFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string what = from + " -> " + to;
  RETURN_IF_ERROR(state_->CheckFrozen("rename", what));
  NodePtr from_dir, to_dir;
  std::string from_leaf, to_leaf;
  if (int err = state_->ResolveParent(from, &from_dir, &from_leaf)) {
    return ErrnoStatus(err, "rename", what);
  }
  if (int err = state_->ResolveParent(to, &to_dir, &to_leaf)) {
    return ErrnoStatus(err, "rename", what);
  }
  auto src = from_dir->entries.find(from_leaf);
  if (src == from_dir->entries.end()) return ErrnoStatus(ENOENT, "rename", what);
  NodePtr node = src->second;
  auto dst = to_dir->entries.find(to_leaf);
  if (dst != to_dir->entries.end()) {
    if (dst->second == node) return Status::Ok();  // same inode: nothing to do
    if (dst->second->is_dir && !node->is_dir) return ErrnoStatus(EISDIR, "rename", what);
    if (!dst->second->is_dir && node->is_dir) return ErrnoStatus(ENOTDIR, "rename", what);
    if (dst->second->is_dir && !dst->second->entries.empty()) {
      return ErrnoStatus(ENOTEMPTY, "rename", what);
    }
  }
  if (node->is_dir) {
    // A directory cannot move into its own subtree.
    std::vector<std::string> f = State::Split(from), t = State::Split(to);
    if (t.size() > f.size() && std::equal(f.begin(), f.end(), t.begin())) {
      return ErrnoStatus(EINVAL, "rename", what);
    }
  }
  from_dir->entries.erase(src);
  to_dir->entries[to_leaf] = node;
  from_dir->mtime_ns = to_dir->mtime_ns = state_->now_micros * 1000;
  return Status::Ok();
}

Status MemFileSystem::Truncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("truncate", path));
  NodePtr node;
  if (int err = state_->Resolve(path, &node)) return ErrnoStatus(err, "truncate", path);
  if (node->is_dir) return ErrnoStatus(EISDIR, "truncate", path);
  if (size > node->data.size()) {
    if (int err = state_->Reserve(size - node->data.size())) {
      return ErrnoStatus(err, "truncate", path);
    }
  }
  node->data.resize(size, '\0');
  node->mtime_ns = state_->now_micros * 1000;
  state_->NotePeak();
  return Status::Ok();
}

Status MemFileSystem::SyncDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("fsync dir", path));
  NodePtr node;
  if (int err = state_->Resolve(path, &node)) return ErrnoStatus(err, "open dir", path);
  if (!node->is_dir) return ErrnoStatus(ENOTDIR, "open dir", path);
  node->durable_entries = node->entries;
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> MemFileSystem::Lock(const std::string& path, LockMode mode,
                                                      bool non_blocking) {
  std::unique_lock<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("open lock file", path));
  NodePtr dir;
  std::string leaf;
  if (int err = state_->ResolveParent(path, &dir, &leaf)) {
    return ErrnoStatus(err, "open lock file", path);
  }
  NodePtr node;
  auto it = dir->entries.find(leaf);
  if (it == dir->entries.end()) {
    node = state_->NewNode(false);
    dir->entries[leaf] = node;
  } else {
    node = it->second;
  }
  const uint64_t epoch = state_->epoch;
  for (;;) {
    RETURN_IF_ERROR(state_->CheckHandle(epoch, "flock", path));
    State::LockState& ls = state_->locks[node.get()];
    if (State::Compatible(ls, mode)) {
      if (mode == LockMode::kExclusive) {
        ls.exclusive = true;
      } else {
        ++ls.shared;
      }
      break;
    }
    if (non_blocking) {
      return BusyStatus("lock " + path + ": held by another holder (" +
                        (mode == LockMode::kExclusive ? "exclusive" : "shared") + " requested)");
    }
    state_->cv.wait(lock);
  }
  return std::unique_ptr<FileLock>(new MemFileLock(state_, node, path, epoch, mode));
}

int64_t MemFileSystem::NowMicros() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->now_micros;
}

void MemFileSystem::SleepMicros(int64_t micros) { AdvanceMicros(micros > 0 ? micros : 0); }

void MemFileSystem::SimulateCrash() {
  std::lock_guard<std::mutex> lock(state_->mu);
  State::Revert(state_->root.get());
  ++state_->epoch;
  state_->dev = State::NextDev();
  state_->locks.clear();
  state_->frozen = false;
  state_->cv.notify_all();
}

void MemFileSystem::Freeze() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->frozen = true;
  state_->cv.notify_all();
}

bool MemFileSystem::frozen() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->frozen;
}

void MemFileSystem::SetNowMicros(int64_t micros) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->now_micros = micros;
}

void MemFileSystem::AdvanceMicros(int64_t micros) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->now_micros += micros;
}

std::string MemFileSystem::ReadAll(const std::string& path) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  NodePtr node;
  if (state_->Resolve(path, &node) != 0 || node->is_dir) return "";
  return node->data;
}

void MemFileSystem::WriteAll(const std::string& path, const std::string& contents) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::string> comps = State::Split(path);
  if (comps.empty()) return;
  const std::string leaf = comps.back();
  comps.pop_back();
  std::string parent;
  for (const std::string& c : comps) parent += "/" + c;
  NodePtr dir;
  if (state_->MakeDirs(parent, &dir) != 0) return;
  auto it = dir->entries.find(leaf);
  NodePtr node;
  if (it != dir->entries.end() && !it->second->is_dir) {
    node = it->second;
  } else if (it == dir->entries.end()) {
    node = state_->NewNode(false);
  } else {
    return;  // a directory is in the way
  }
  node->data = node->durable_data = contents;
  node->mtime_ns = state_->now_micros * 1000;
  dir->entries[leaf] = node;
  dir->durable_entries[leaf] = node;
  state_->NotePeak();
}

}  // namespace shardtool
