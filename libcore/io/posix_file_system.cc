#include "io/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace shardtool {
namespace {

// Closes a descriptor, retrying nothing: after EINTR the descriptor is gone on Linux.
int CloseFd(int fd) { return ::close(fd); }

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixRandomAccessFile() override { CloseFd(fd_); }

  Status Read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) override {
    *got = 0;
    // Loops until n bytes or end of file, so a short result means end of file.
    while (*got < n) {
      ssize_t r = ::pread(fd_, dst + *got, n - *got, static_cast<off_t>(offset + *got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "pread", path_);
      }
      if (r == 0) break;
      *got += static_cast<size_t>(r);
    }
    return Status::Ok();
  }

  Result<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
};

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) CloseFd(fd_);
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return InternalErrorStatus("append " + path_ + ": file is closed");
    while (!data.empty()) {
      ssize_t r = ::write(fd_, data.data(), data.size());
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write", path_);
      }
      size_ += static_cast<uint64_t>(r);
      data.remove_prefix(static_cast<size_t>(r));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (fd_ < 0) return InternalErrorStatus("fsync " + path_ + ": file is closed");
    if (::fsync(fd_) != 0) return ErrnoStatus(errno, "fsync", path_);
    return Status::Ok();
  }

  void StartWriteback() override {
#ifdef __linux__
    if (fd_ >= 0) ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int fd = fd_;
    fd_ = -1;
    if (CloseFd(fd) != 0) return ErrnoStatus(errno, "close", path_);
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
};

class PosixFileLock : public FileLock {
 public:
  PosixFileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  // Closing the only descriptor of the open file description releases the flock.
  ~PosixFileLock() override { CloseFd(fd_); }
  const std::string& path() const override { return path_; }
  bool CanRelock() const override { return true; }
  Status Unlock() override {
    if (::flock(fd_, LOCK_UN) != 0) return ErrnoStatus(errno, "flock(LOCK_UN)", path_);
    return Status::Ok();
  }
  Status Relock(LockMode mode, bool non_blocking) override {
    const int op =
        (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | (non_blocking ? LOCK_NB : 0);
    int r;
    do {
      r = ::flock(fd_, op);
    } while (r != 0 && errno == EINTR);
    if (r == 0) return Status::Ok();
    if (errno == EWOULDBLOCK) {
      return BusyStatus("lock " + path_ + ": held by another holder (" +
                        (mode == LockMode::kExclusive ? "exclusive" : "shared") + " requested)");
    }
    return ErrnoStatus(errno, "flock", path_);
  }

 private:
  int fd_;
  std::string path_;
};

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return Status::Ok();
  int err = errno;
  if (err == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
    return ErrnoStatus(EEXIST, "mkdir", path);  // exists, but not as a directory
  }
  return ErrnoStatus(err, "mkdir", path);
}

}  // namespace

Result<std::unique_ptr<RandomAccessFile>> PosixFileSystem::OpenForRead(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "open", path);
  return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(fd, path));
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::OpenForWrite(const std::string& path,
                                                                    WriteMode mode) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
  switch (mode) {
    case WriteMode::kCreateExclusive:
      flags |= O_EXCL;
      break;
    case WriteMode::kTruncate:
      flags |= O_TRUNC;
      break;
    case WriteMode::kAppend:
      flags |= O_APPEND;
      break;
  }
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "open", path);
  uint64_t size = 0;
  if (mode == WriteMode::kAppend) {
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = ErrnoStatus(errno, "fstat", path);
      CloseFd(fd);
      return s;
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path, size));
}

Result<uint64_t> PosixFileSystem::FreeBytes(const std::string& path) {
  struct statvfs sv;
  if (::statvfs(path.c_str(), &sv) != 0) return ErrnoStatus(errno, "statvfs", path);
  return static_cast<uint64_t>(sv.f_bavail) * static_cast<uint64_t>(sv.f_frsize);
}

Result<FileStat> PosixFileSystem::Stat(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "lstat", path);
  FileStat out;
  out.size = static_cast<uint64_t>(st.st_size);
  out.is_dir = S_ISDIR(st.st_mode);
  out.is_symlink = S_ISLNK(st.st_mode);
  out.inode = static_cast<uint64_t>(st.st_ino);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.dev = static_cast<uint64_t>(st.st_dev);
  out.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return out;
}

bool PosixFileSystem::Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Result<std::vector<DirEntry>> PosixFileSystem::ListDir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return ErrnoStatus(errno, "opendir", path);
  std::vector<DirEntry> out;
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(dir);
    if (e == nullptr) {
      if (errno != 0) {
        Status s = ErrnoStatus(errno, "readdir", path);
        ::closedir(dir);
        return s;
      }
      break;
    }
    std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    DirEntry entry;
    entry.name = std::string(name);
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      // Some file systems do not fill d_type: ask lstat.
      struct stat st;
      if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
      }
    }
    entry.is_dir = type == DT_DIR;
    entry.is_symlink = type == DT_LNK;
    out.push_back(std::move(entry));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

Status PosixFileSystem::CreateDirs(const std::string& path) {
  if (path.empty()) return ErrnoStatus(ENOENT, "mkdir", path);
  // Creates each prefix ending before a '/', then the whole path.
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    if (path[pos - 1] == '/') continue;  // "a//b"
    RETURN_IF_ERROR(MakeDir(path.substr(0, pos)));
  }
  if (path.back() == '/') return Status::Ok();
  return MakeDir(path);
}

Status PosixFileSystem::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink", path);
  return Status::Ok();
}

Status PosixFileSystem::RemoveDir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) return ErrnoStatus(errno, "rmdir", path);
  return Status::Ok();
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus(errno, "rename", from + " -> " + to);
  }
  return Status::Ok();
}

Status PosixFileSystem::Truncate(const std::string& path, uint64_t size) {
  int r;
  do {
    r = ::truncate(path.c_str(), static_cast<off_t>(size));
  } while (r != 0 && errno == EINTR);
  if (r != 0) return ErrnoStatus(errno, "truncate", path);
  return Status::Ok();
}

Status PosixFileSystem::SyncDir(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "open dir", path);
  Status s;
  if (::fsync(fd) != 0) s = ErrnoStatus(errno, "fsync dir", path);
  CloseFd(fd);
  return s;
}

Result<std::unique_ptr<FileLock>> PosixFileSystem::Lock(const std::string& path, LockMode mode,
                                                        bool non_blocking) {
  int fd;
  do {
    // Read-only suffices for flock and lets a reader lock a file it may not write.
    fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "open lock file", path);
  int op = (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | (non_blocking ? LOCK_NB : 0);
  int r;
  do {
    r = ::flock(fd, op);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int err = errno;
    CloseFd(fd);
    if (err == EWOULDBLOCK) {
      return BusyStatus("lock " + path + ": held by another holder (" +
                        (mode == LockMode::kExclusive ? "exclusive" : "shared") + " requested)");
    }
    return ErrnoStatus(err, "flock", path);
  }
  return std::unique_ptr<FileLock>(new PosixFileLock(fd, path));
}

int64_t PosixFileSystem::NowMicros() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void PosixFileSystem::SleepMicros(int64_t micros) {
  if (micros <= 0) return;
  struct timespec req;
  req.tv_sec = static_cast<time_t>(micros / 1000000);
  req.tv_nsec = static_cast<long>((micros % 1000000) * 1000);
  struct timespec rem;
  while (::nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}

FileSystem* PosixFS() {
  static PosixFileSystem* fs = new PosixFileSystem();  // never destroyed: usable during exit
  return fs;
}

}  // namespace shardtool
