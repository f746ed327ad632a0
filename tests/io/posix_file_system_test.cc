#include "io/posix_file_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "testing/status_matchers.h"

namespace shardtool {
namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents afterwards.
class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/shardtool_io_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string P(std::string_view name) const { return JoinPath(dir_, name); }

  void Write(const std::string& path, std::string_view data) {
    auto f = fs_.OpenForWrite(path, WriteMode::kTruncate);
    ASSERT_OK(f);
    ASSERT_OK((*f)->Append(data));
    ASSERT_OK((*f)->Close());
  }
  std::string Read(const std::string& path) {
    auto s = ReadFileToString(&fs_, path);
    EXPECT_OK(s);
    return s.ok() ? *s : "<error>";
  }

  PosixFileSystem fs_;
  std::string dir_;
};

TEST_F(PosixFileSystemTest, PosixFSIsAPosixFileSystem) {
  ASSERT_NE(PosixFS(), nullptr);
  EXPECT_EQ(PosixFS(), PosixFS());
  EXPECT_NE(dynamic_cast<PosixFileSystem*>(PosixFS()), nullptr);
}

TEST_F(PosixFileSystemTest, CreateAppendSyncRead) {
  auto w = fs_.OpenForWrite(P("f"), WriteMode::kCreateExclusive);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Append("hello"));
  ASSERT_OK((*w)->Append(" world"));
  EXPECT_EQ((*w)->Size(), 11u);
  EXPECT_EQ((*w)->path(), P("f"));
  ASSERT_OK((*w)->Sync());
  ASSERT_OK((*w)->Close());
  EXPECT_FALSE((*w)->Append("x").ok());  // closed

  auto r = fs_.OpenForRead(P("f"));
  ASSERT_OK(r);
  auto size = (*r)->Size();
  ASSERT_OK(size);
  EXPECT_EQ(*size, 11u);
  uint8_t buf[16] = {};
  size_t got = 0;
  ASSERT_OK((*r)->Read(6, 5, buf, &got));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), got), "world");
  ASSERT_OK((*r)->Read(8, 10, buf, &got));
  EXPECT_EQ(got, 3u);  // short only at end of file
  ASSERT_OK((*r)->Read(11, 4, buf, &got));
  EXPECT_EQ(got, 0u);
}

TEST_F(PosixFileSystemTest, WriteModes) {
  Write(P("f"), "abc");
  auto excl = fs_.OpenForWrite(P("f"), WriteMode::kCreateExclusive);
  EXPECT_FALSE(excl.ok());
  EXPECT_NE(excl.status().message().find(P("f")), std::string::npos);

  auto app = fs_.OpenForWrite(P("f"), WriteMode::kAppend);
  ASSERT_OK(app);
  EXPECT_EQ((*app)->Size(), 3u);
  ASSERT_OK((*app)->Append("de"));
  EXPECT_EQ((*app)->Size(), 5u);
  ASSERT_OK((*app)->Close());
  EXPECT_EQ(Read(P("f")), "abcde");

  auto tr = fs_.OpenForWrite(P("f"), WriteMode::kTruncate);
  ASSERT_OK(tr);
  EXPECT_EQ((*tr)->Size(), 0u);
  ASSERT_OK((*tr)->Append("z"));
  ASSERT_OK((*tr)->Close());
  EXPECT_EQ(Read(P("f")), "z");
}

TEST_F(PosixFileSystemTest, RenameReplacesTarget) {
  Write(P("a"), "new");
  Write(P("b"), "old");
  ASSERT_OK(fs_.Rename(P("a"), P("b")));
  EXPECT_EQ(Read(P("b")), "new");
  EXPECT_FALSE(fs_.Exists(P("a")));
  Status s = fs_.Rename(P("a"), P("c"));
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find(P("a")), std::string::npos);
}

TEST_F(PosixFileSystemTest, ListDirIsSortedAndTyped) {
  Write(P("c"), "");
  Write(P("a"), "");
  ASSERT_OK(fs_.CreateDirs(P("b")));
  ASSERT_EQ(::symlink("a", P("d").c_str()), 0);
  auto list = fs_.ListDir(dir_);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0].name, "a");
  EXPECT_EQ((*list)[1].name, "b");
  EXPECT_EQ((*list)[2].name, "c");
  EXPECT_EQ((*list)[3].name, "d");
  EXPECT_FALSE((*list)[0].is_dir);
  EXPECT_TRUE((*list)[1].is_dir);
  EXPECT_TRUE((*list)[3].is_symlink);
  EXPECT_FALSE((*list)[3].is_dir);
}

TEST_F(PosixFileSystemTest, StatIsLstat) {
  Write(P("target"), "12345");
  ASSERT_EQ(::symlink(P("target").c_str(), P("link").c_str()), 0);
  auto t = fs_.Stat(P("target"));
  auto l = fs_.Stat(P("link"));
  ASSERT_OK(t);
  ASSERT_OK(l);
  EXPECT_EQ(t->size, 5u);
  EXPECT_FALSE(t->is_symlink);
  EXPECT_TRUE(l->is_symlink);
  EXPECT_NE(t->inode, l->inode);
  EXPECT_GT(t->mtime_ns, 0);
  // A dangling link exists (lstat) although its target does not.
  ASSERT_EQ(::symlink(P("nowhere").c_str(), P("dangling").c_str()), 0);
  EXPECT_TRUE(fs_.Exists(P("dangling")));
  EXPECT_FALSE(fs_.Exists(P("nowhere")));
  auto d = fs_.Stat(dir_);
  ASSERT_OK(d);
  EXPECT_TRUE(d->is_dir);
}

TEST_F(PosixFileSystemTest, TruncateShrinksAndExtends) {
  Write(P("f"), "abcdef");
  ASSERT_OK(fs_.Truncate(P("f"), 2));
  EXPECT_EQ(Read(P("f")), "ab");
  ASSERT_OK(fs_.Truncate(P("f"), 4));
  EXPECT_EQ(Read(P("f")), std::string("ab\0\0", 4));
  EXPECT_EQ(fs_.Truncate(P("missing"), 0).code(), ErrorCode::kNotFound);
}

TEST_F(PosixFileSystemTest, ErrorsNameThePath) {
  auto r = fs_.OpenForRead(P("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find(P("missing")), std::string::npos);
  EXPECT_NE(r.status().message().find("open"), std::string::npos);

  Status rm = fs_.RemoveFile(P("missing"));
  EXPECT_EQ(rm.code(), ErrorCode::kNotFound);
  EXPECT_NE(rm.message().find(P("missing")), std::string::npos);

  auto ls = fs_.ListDir(P("missing"));
  EXPECT_EQ(ls.status().code(), ErrorCode::kNotFound);
  auto st = fs_.Stat(P("missing"));
  EXPECT_EQ(st.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(fs_.SyncDir(P("missing")).code(), ErrorCode::kNotFound);
  // A path through a regular file: ENOTDIR, also NotFound.
  Write(P("file"), "x");
  EXPECT_EQ(fs_.OpenForRead(P("file/x")).status().code(), ErrorCode::kNotFound);
}

TEST_F(PosixFileSystemTest, PermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  Write(P("f"), "x");
  ASSERT_EQ(::chmod(P("f").c_str(), 0), 0);
  EXPECT_EQ(fs_.OpenForRead(P("f")).status().code(), ErrorCode::kPermissionDenied);
}

TEST_F(PosixFileSystemTest, CreateDirsIsMkdirP) {
  ASSERT_OK(fs_.CreateDirs(P("a/b/c")));
  auto st = fs_.Stat(P("a/b/c"));
  ASSERT_OK(st);
  EXPECT_TRUE(st->is_dir);
  EXPECT_OK(fs_.CreateDirs(P("a/b/c")));   // exists: fine
  EXPECT_OK(fs_.CreateDirs(P("a/b/d/")));  // trailing slash
  EXPECT_TRUE(fs_.Exists(P("a/b/d")));
  Write(P("a/file"), "x");
  Status s = fs_.CreateDirs(P("a/file/sub"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(P("a/file")), std::string::npos);
}

TEST_F(PosixFileSystemTest, RemoveFileAndDir) {
  ASSERT_OK(fs_.CreateDirs(P("d")));
  Write(P("d/f"), "x");
  EXPECT_FALSE(fs_.RemoveDir(P("d")).ok());  // not empty
  EXPECT_OK(fs_.SyncDir(P("d")));
  ASSERT_OK(fs_.RemoveFile(P("d/f")));
  ASSERT_OK(fs_.RemoveDir(P("d")));
  EXPECT_FALSE(fs_.Exists(P("d")));
}

TEST_F(PosixFileSystemTest, ClockAndSleep) {
  int64_t t0 = fs_.NowMicros();
  EXPECT_NEAR(static_cast<double>(t0) / 1e6, static_cast<double>(::time(nullptr)), 5.0);
  fs_.SleepMicros(20000);
  EXPECT_GE(fs_.NowMicros() - t0, 20000);
}

TEST_F(PosixFileSystemTest, TwoLocksInOneProcessConflict) {
  // flock semantics: locks on two open file descriptions conflict even within one process.
  auto a = fs_.Lock(P("lock"), LockMode::kExclusive, true);
  ASSERT_OK(a);
  auto st = fs_.Stat(P("lock"));
  ASSERT_OK(st);
  auto b = fs_.Lock(P("lock"), LockMode::kShared, true);
  EXPECT_EQ(b.status().code(), ErrorCode::kBusy);
  EXPECT_NE(b.status().message().find(P("lock")), std::string::npos);
  a->reset();  // releases
  auto c = fs_.Lock(P("lock"), LockMode::kExclusive, true);
  EXPECT_OK(c);
}

// Forks a child that takes `mode` on `path`, reports through a pipe, and holds the lock until the
// parent closes the other pipe. Returns the child's pid.
pid_t HoldLockInChild(const std::string& path, LockMode mode, int* release_fd) {
  int ready[2], release[2];
  if (::pipe(ready) != 0 || ::pipe(release) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    ::close(release[1]);
    auto lock = PosixFS()->Lock(path, mode, false);
    char c = lock.ok() ? 'L' : 'E';
    if (::write(ready[1], &c, 1) != 1) ::_exit(2);
    char buf;
    while (::read(release[0], &buf, 1) > 0) {
    }
    ::_exit(lock.ok() ? 0 : 1);
  }
  ::close(ready[1]);
  ::close(release[0]);
  char c = 0;
  if (::read(ready[0], &c, 1) != 1 || c != 'L') pid = -1;
  ::close(ready[0]);
  *release_fd = release[1];
  return pid;
}

int ReleaseAndWait(pid_t pid, int release_fd) {
  ::close(release_fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(PosixFileSystemTest, ExclusiveLockAcrossProcesses) {
  int release = -1;
  pid_t child = HoldLockInChild(P("lock"), LockMode::kExclusive, &release);
  ASSERT_GT(child, 0);
  auto busy = fs_.Lock(P("lock"), LockMode::kExclusive, true);
  EXPECT_EQ(busy.status().code(), ErrorCode::kBusy);
  auto busy_shared = fs_.Lock(P("lock"), LockMode::kShared, true);
  EXPECT_EQ(busy_shared.status().code(), ErrorCode::kBusy);
  EXPECT_EQ(ReleaseAndWait(child, release), 0);
  auto mine = fs_.Lock(P("lock"), LockMode::kExclusive, true);
  EXPECT_OK(mine);
}

TEST_F(PosixFileSystemTest, SharedLocksAreCompatibleAcrossProcesses) {
  int release = -1;
  pid_t child = HoldLockInChild(P("lock"), LockMode::kShared, &release);
  ASSERT_GT(child, 0);
  {
    auto shared = fs_.Lock(P("lock"), LockMode::kShared, true);
    EXPECT_OK(shared);
  }
  auto excl = fs_.Lock(P("lock"), LockMode::kExclusive, true);
  EXPECT_EQ(excl.status().code(), ErrorCode::kBusy);
  EXPECT_EQ(ReleaseAndWait(child, release), 0);
  // A blocking request now succeeds at once.
  auto blocking = fs_.Lock(P("lock"), LockMode::kExclusive, false);
  EXPECT_OK(blocking);
}

TEST_F(PosixFileSystemTest, LockFileIsCreated0644) {
  ::mode_t old = ::umask(022);
  auto lock = fs_.Lock(P("locks.global"), LockMode::kShared, true);
  ::umask(old);
  ASSERT_OK(lock);
  struct stat st;
  ASSERT_EQ(::stat(P("locks.global").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(fs_.Lock(P("no/such/dir/lock"), LockMode::kShared, true).status().code(),
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace shardtool
