// verify --digest (issue 17 §3): the digest of a collection's visible records does not depend on
// how the records are spread over files (split, merged, shadowed versions, tombstones) and changes
// with any visible record; verify computes it in its own pass (each file read once), equal to the
// reference digest (a second, plain merge of the files); a file that does not decode to its end
// makes it incomplete; failures and interruptions stop every thread of the pass.
#include "jobs/verify/collection_digest.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>

#include "format/file_name.h"
#include "io/fault_file_system.h"
#include "io/mem_file_system.h"
#include "jobs/verify/verify_job.h"
#include "testing/digest_reference.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::TestRecord;

class Digest : public ::testing::TestWithParam<const char*> {
 protected:
  const RdbInfo& rdb() const { return *FindRdb(GetParam()); }

  // Writes the files (oldest first, ids 1, 3, 5, ...) into a fresh dir.
  VerifyCollection Write(const std::vector<std::vector<TestRecord>>& files) {
    const std::string dir = "/d" + std::to_string(n_++);
    EXPECT_OK(fs_.CreateDirs(dir));
    VerifyCollection c;
    c.ns = "main." + std::string(rdb().name);
    c.rdb = &rdb();
    c.dir = dir;
    int32_t id = 1;
    for (const auto& recs : files) {
      EXPECT_OK(testing::WriteDataFile(&fs_, dir, rdb(), id, recs));
      c.data_files.push_back(DataName(rdb().name, id, rdb().titledb_naming));
      id += 2;
    }
    return c;
  }

  // verify --digest of c (on `fs`, default fs_): its report.
  Result<VerifyReport> Verify(const VerifyCollection& c, int threads = 2,
                              FileSystem* fs = nullptr) {
    VerifyOptions o;
    o.digest = true;
    o.trees = false;
    o.threads = threads;
    return RunVerify(fs != nullptr ? fs : &fs_, {c}, o);
  }

  // The files' digest as verify computes it, checked against the reference digest.
  CollectionDigest Of(const std::vector<std::vector<TestRecord>>& files, int threads = 2) {
    const VerifyCollection c = Write(files);
    auto ref = testing::ReferenceDigest(&fs_, c);
    EXPECT_OK(ref);
    auto r = Verify(c, threads);
    EXPECT_OK(r);
    if (!r.ok() || !ref.ok() || r->digests.size() != 1) {
      ADD_FAILURE() << "no digest";
      return CollectionDigest{};
    }
    const CollectionDigest& d = r->digests[0];
    EXPECT_TRUE(d.complete) << d.incomplete;
    EXPECT_EQ(d.ns, c.ns);
    EXPECT_EQ(d.records, ref->records);
    EXPECT_EQ(d.digest.Hex(), ref->digest.Hex());
    return d;
  }

  std::vector<TestRecord> Base(size_t n = 400) {
    testing::RandomListOptions o;
    o.negative_fraction = 0;
    return testing::RandomRecords(rdb(), n, 17, o);
  }

  MemFileSystem fs_;
  int n_ = 0;
};

TEST_P(Digest, SplitAcrossFilesIsTheSame) {
  const auto base = Base();
  const CollectionDigest one = Of({base});
  EXPECT_EQ(one.records, static_cast<int64_t>(base.size()));
  std::vector<std::vector<TestRecord>> three(3);
  for (size_t i = 0; i < base.size(); i++) three[i % 3].push_back(base[i]);
  const CollectionDigest split = Of(three);
  EXPECT_EQ(split.records, one.records);
  EXPECT_EQ(split.digest.Hex(), one.digest.Hex());
  // Another split (halves), and the same records in both of two files (newest wins).
  std::vector<TestRecord> lo(base.begin(), base.begin() + 150), hi(base.begin() + 150, base.end());
  EXPECT_EQ(Of({hi, lo}).digest.Hex(), one.digest.Hex());
  EXPECT_EQ(Of({base, base}).digest.Hex(), one.digest.Hex());
  EXPECT_EQ(Of({base, base}).records, one.records);
}

TEST_P(Digest, NewestWinsAndTombstonesApply) {
  const auto base = Base();
  std::vector<TestRecord> visible, older, newer;
  for (size_t i = 0; i < base.size(); i++) {
    TestRecord stale = base[i];
    if (i % 4 == 0 && rdb().variable_size()) stale.data = "stale" + std::to_string(i);
    older.push_back(stale);
    if (i % 2 == 1) {
      newer.push_back({base[i].key.Negative(), ""});  // deleted later
    } else {
      visible.push_back(base[i]);
      if (i % 4 == 0) newer.push_back(base[i]);  // the current version
    }
  }
  const CollectionDigest merged = Of({visible});
  const CollectionDigest unmerged = Of({older, newer});
  EXPECT_EQ(unmerged.records, static_cast<int64_t>(visible.size()));
  EXPECT_EQ(unmerged.digest.Hex(), merged.digest.Hex());
  // A tombstone with nothing beneath it hides nothing and counts for nothing.
  std::vector<TestRecord> lone = {base[1]};
  lone[0].key = lone[0].key.Negative();
  lone[0].data.clear();
  std::vector<TestRecord> without1 = base;
  without1.erase(without1.begin() + 1);
  EXPECT_EQ(Of({without1, lone}).digest.Hex(), Of({without1}).digest.Hex());
}

TEST_P(Digest, AMissingOrChangedRecordChangesIt) {
  const auto base = Base();
  const CollectionDigest all = Of({base});
  for (size_t drop : {size_t{0}, size_t{199}, base.size() - 1}) {
    auto fewer = base;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(drop));
    const CollectionDigest d = Of({fewer});
    EXPECT_EQ(d.records, all.records - 1);
    EXPECT_NE(d.digest.Hex(), all.digest.Hex());
  }
  if (rdb().variable_size()) {
    auto changed = base;
    changed[7].data += "x";
    EXPECT_NE(Of({changed}).digest.Hex(), all.digest.Hex());
  }
  EXPECT_EQ(Of({}).records, 0);
  EXPECT_EQ(Of({}).digest.Hex(), std::string(32, '0'));
}

// Several files, each a random part of the same keys: versions overwritten by newer files (other
// data), tombstones over older versions and over nothing, keys only in old files; enough records
// that the feeds' queues fill and the verifiers wait for the merge; one to four threads.
TEST_P(Digest, SamePassEqualsTheReferenceOnOverwritesAndTombstones) {
  testing::RandomListOptions ro;
  ro.negative_fraction = 0;
  const auto base = testing::RandomRecords(rdb(), 30000, 5, ro);
  std::mt19937_64 rng(11);
  std::vector<std::vector<TestRecord>> files(5);
  for (size_t f = 0; f < files.size(); f++) {
    for (size_t i = 0; i < base.size(); i++) {
      if (rng() % 100 >= 45) continue;
      TestRecord r = base[i];
      const uint64_t roll = rng() % 100;
      if (roll < 20) {
        r = {r.key.Negative(), ""};
      } else if (roll < 50 && rdb().variable_size()) {
        r.data = "v" + std::to_string(f) + "." + std::to_string(i);
      }
      files[f].push_back(std::move(r));
    }
  }
  for (int threads : {1, 2, 4}) {
    const CollectionDigest d = Of(files, threads);
    EXPECT_GT(d.records, 1000) << threads;
  }
}

// A byte-counting file system: the bytes read from each path.
class ReadCounter : public FaultFileSystem {
 public:
  using FaultFileSystem::FaultFileSystem;
  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override {
    ASSIGN_OR_RETURN(auto f, FaultFileSystem::OpenForRead(path));
    return std::unique_ptr<RandomAccessFile>(new Counted(std::move(f), this));
  }
  std::map<std::string, uint64_t> bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }

 private:
  class Counted : public RandomAccessFile {
   public:
    Counted(std::unique_ptr<RandomAccessFile> f, ReadCounter* c) : f_(std::move(f)), c_(c) {}
    Status Read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) override {
      Status s = f_->Read(offset, n, dst, got);
      std::lock_guard<std::mutex> lock(c_->mu_);
      c_->bytes_[f_->path()] += *got;
      return s;
    }
    Result<uint64_t> Size() override { return f_->Size(); }
    const std::string& path() const override { return f_->path(); }

   private:
    std::unique_ptr<RandomAccessFile> f_;
    ReadCounter* c_;
  };
  std::mutex mu_;
  std::map<std::string, uint64_t> bytes_;
};

TEST_P(Digest, EachFileIsReadOnce) {
  const auto base = Base(20000);
  std::vector<std::vector<TestRecord>> three(3);
  for (size_t i = 0; i < base.size(); i++) three[i % 3].push_back(base[i]);
  three[2].push_back(three[0].back());  // overlapping: the merge needs every file at once
  std::sort(three[2].begin(), three[2].end(),
            [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
  const VerifyCollection c = Write(three);
  ReadCounter plain(&fs_), digest(&fs_);
  VerifyOptions o;
  o.trees = false;
  ASSERT_OK(RunVerify(&plain, {c}, o));
  auto d = Verify(c, 2, &digest);
  ASSERT_OK(d);
  ASSERT_EQ(d->digests.size(), 1u);
  EXPECT_EQ(d->digests[0].records, static_cast<int64_t>(base.size()));
  // The same bytes as verify without --digest, and each data file's bytes exactly once.
  EXPECT_EQ(digest.bytes(), plain.bytes());
  for (const std::string& name : c.data_files) {
    const std::string path = JoinPath(c.dir, name);
    auto size = fs_.Stat(path);
    ASSERT_OK(size);
    EXPECT_EQ(digest.bytes()[path], size->size) << path;
  }
}

TEST_P(Digest, AFileCutShortMakesItIncomplete) {
  const auto base = Base(3000);
  std::vector<TestRecord> lo(base.begin(), base.begin() + 1500),
      hi(base.begin() + 1500, base.end());
  const VerifyCollection c = Write({lo, hi, lo});
  // The newest file loses its last bytes (a torn record, L2): its records stop decoding there.
  const std::string cut = JoinPath(c.dir, c.data_files[2]);
  auto size = fs_.Stat(cut);
  ASSERT_OK(size);
  ASSERT_OK(fs_.Truncate(cut, size->size - 3));
  auto r = Verify(c);
  ASSERT_OK(r);
  EXPECT_FALSE(r->ok());  // the file's finding
  ASSERT_EQ(r->digests.size(), 1u);
  EXPECT_FALSE(r->digests[0].complete);
  EXPECT_NE(r->digests[0].incomplete.find(cut), std::string::npos) << r->digests[0].incomplete;
  EXPECT_EQ(r->files.size(), 3u);
}

TEST_P(Digest, KeysOutOfOrderMakeItIncomplete) {
  const auto base = Base(2000);
  std::vector<TestRecord> swapped(base.begin(), base.begin() + 1000);
  std::swap(swapped[400], swapped[600]);  // the file goes backwards after record 600's key
  const VerifyCollection c = Write({base, swapped});
  auto r = Verify(c);
  ASSERT_OK(r);
  EXPECT_FALSE(r->ok());  // L4 findings
  ASSERT_EQ(r->digests.size(), 1u);
  EXPECT_FALSE(r->digests[0].complete);
  const std::string& why = r->digests[0].incomplete;
  EXPECT_EQ(why.rfind(JoinPath(c.dir, c.data_files[1]) + ": key ", 0), 0u) << why;
  EXPECT_NE(why.find("(L4)"), std::string::npos) << why;
}

TEST_P(Digest, AFailureOrAnInterruptionStopsEveryThread) {
  const auto base = Base(20000);
  std::vector<std::vector<TestRecord>> four(4);
  for (size_t i = 0; i < base.size(); i++) four[i % 4].push_back(base[i]);
  const VerifyCollection c = Write(four);
  // A read error in one file: the job's error, whatever the other files were doing.
  FaultFileSystem faulty(&fs_);
  faulty.AddRule(FaultRule::Fail(FsOp::kRead, EIO).OnPath(c.data_files[1]).Always());
  auto failed = Verify(c, 2, &faulty);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kIOError) << failed.status().ToString();
  // Stopped from a yield (the acquisition's, or the stop flag): Interrupted.
  std::atomic<int> yields{0};
  VerifyOptions o;
  o.digest = true;
  o.trees = false;
  o.threads = 2;
  o.yield_every = 100;
  o.yield = [&yields]() -> Status {
    return ++yields == 7 ? InterruptedStatus("verify interrupted") : Status::Ok();
  };
  auto stopped = RunVerify(&fs_, {c}, o);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), ErrorCode::kInterrupted);
  std::atomic<bool> stop{true};
  o.yield = nullptr;
  o.stop = &stop;
  auto flagged = RunVerify(&fs_, {c}, o);
  ASSERT_FALSE(flagged.ok());
  EXPECT_EQ(flagged.status().code(), ErrorCode::kInterrupted);
}

INSTANTIATE_TEST_SUITE_P(Rdbs, Digest, ::testing::Values("titledb", "posdb", "linkdb"));

TEST(Digest128, SumIsOrderIndependent) {
  const uint8_t a[] = {1, 2, 3},
                b[] = {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  Digest128 x, y;
  x.Add(HashBytes128(a, sizeof a, 1));
  x.Add(HashBytes128(b, sizeof b, 1));
  y.Add(HashBytes128(b, sizeof b, 1));
  y.Add(HashBytes128(a, sizeof a, 1));
  EXPECT_EQ(x.Hex(), y.Hex());
  EXPECT_EQ(x.Hex().size(), 32u);
  EXPECT_FALSE(HashBytes128(a, 3, 1) == HashBytes128(a, 2, 1));
  Digest128 twice;
  twice.Add(HashBytes128(a, 3, 1));
  twice.Add(HashBytes128(a, 3, 1));
  EXPECT_NE(twice.Hex(), std::string(32, '0'));  // a sum: a record twice does not cancel
}

}  // namespace
}  // namespace shardtool
