// TargetWriter: the same bytes as DataFileWriter, clean-stop metadata that a resume trusts, a torn
// tail truncated (no trusted size), and a kept tail verified against what is added again (trusted
// size): matching, differing and torn tails; crashes (MemFileSystem) between checkpoints.
#include "format/target_writer.h"

#include <gtest/gtest.h>

#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "io/mem_file_system.h"
#include "testing/record_lists.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::TestRecord;

constexpr char kDir[] = "/w/coll.main.0";

struct Files {
  std::string data, map, crc;
};

Files ReadTarget(MemFileSystem& fs, const std::string& data_name, const std::string& map,
                 const std::string& crc) {
  Files f;
  for (int p = 0;; p++) {
    const std::string path = std::string(kDir) + "/" + PartName(data_name, p);
    if (!fs.Exists(path)) break;
    f.data += fs.ReadAll(path);
  }
  f.map = fs.ReadAll(std::string(kDir) + "/" + map);
  f.crc = fs.ReadAll(std::string(kDir) + "/" + crc);
  return f;
}

Status AddAll(TargetWriter& w, const std::vector<TestRecord>& recs, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) {
    RETURN_IF_ERROR(w.Add(recs[i].key.data(), reinterpret_cast<const uint8_t*>(recs[i].data.data()),
                          static_cast<uint32_t>(recs[i].data.size())));
  }
  return Status::Ok();
}

class TargetWriterTest : public ::testing::TestWithParam<RdbId> {
 protected:
  const RdbInfo& rdb() const { return GetRdb(GetParam()); }
  TargetWriter::Options Opt() const {
    TargetWriter::Options o;
    o.part_size = 2048ULL * rdb().page_size;
    o.buffer_size = 4096;
    return o;
  }
  std::vector<TestRecord> Records(size_t n) const {
    testing::RandomListOptions ro;
    ro.num_hi = 30;
    ro.max_data_size = 200;
    return testing::RandomRecords(rdb(), n, 5, ro);
  }
  // What DataFileWriter writes for the records: the reference bytes.
  Files Reference(const std::vector<TestRecord>& recs) {
    MemFileSystem fs;
    EXPECT_OK(fs.CreateDirs(kDir));
    DataFileWriter::Options o;
    o.part_size = Opt().part_size;
    DataFileWriter w(&fs, kDir, "x0001.dat", "x0001.map", "x0001.crc", rdb(), o);
    EXPECT_OK(w.Open());
    for (const auto& r : recs) {
      EXPECT_OK(w.Add(r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                      static_cast<uint32_t>(r.data.size())));
    }
    EXPECT_OK(w.Finish());
    return ReadTarget(fs, "x0001.dat", "x0001.map", "x0001.crc");
  }
  TargetWriter Writer(MemFileSystem& fs) {
    return TargetWriter(&fs, kDir, "x0000.002.dat", "x0000.map", "x0000.crc", rdb(), Opt());
  }
  Files Target(MemFileSystem& fs) {
    return ReadTarget(fs, "x0000.002.dat", "x0000.map", "x0000.crc");
  }
};

TEST_P(TargetWriterTest, SameBytesAsDataFileWriter) {
  auto recs = Records(5000);
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs(kDir));
  TargetWriter w = Writer(fs);
  ASSERT_OK(w.Create());
  ASSERT_OK(AddAll(w, recs, 0, recs.size()));
  ASSERT_OK(w.Finish());
  Files want = Reference(recs), got = Target(fs);
  EXPECT_EQ(got.data, want.data);
  EXPECT_EQ(got.map, want.map);
  EXPECT_EQ(got.crc, want.crc);
}

TEST_P(TargetWriterTest, CleanStopThenResumeTrustsTheMap) {
  auto recs = Records(4000);
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs(kDir));
  {
    TargetWriter w = Writer(fs);
    ASSERT_OK(w.Create());
    ASSERT_OK(AddAll(w, recs, 0, 1500));
    ASSERT_OK(w.WriteMetadata());
  }
  fs.SimulateCrash();
  const uint64_t size = fs.ReadAll(std::string(kDir) + "/x0000.002.dat").size();
  for (std::optional<uint64_t> trusted :
       {std::optional<uint64_t>(), std::optional<uint64_t>(size)}) {
    MemFileSystem copy;
    ASSERT_OK(copy.CreateDirs(kDir));
    for (const std::string& p : fs.ListRecursive()) {
      if (p.back() != '/') copy.WriteAll(p, fs.ReadAll(p));
    }
    TargetWriter w = Writer(copy);
    auto info = w.Resume(trusted);
    ASSERT_OK(info);
    EXPECT_TRUE(info->map_trusted);
    EXPECT_EQ(w.records(), 1500);
    ASSERT_OK(AddAll(w, recs, 1500, recs.size()));
    ASSERT_OK(w.Finish());
    Files want = Reference(recs), got = Target(copy);
    EXPECT_EQ(got.data, want.data);
    EXPECT_EQ(got.map, want.map);
    EXPECT_EQ(got.crc, want.crc);
  }
}

// A crash after a part was fsynced and the next one was written but not synced: the durable data
// ends inside a record. Without a trusted size the torn record is cut and writing continues after
// the last whole one.
TEST_P(TargetWriterTest, TornTailIsTruncatedAndWritingContinues) {
  auto recs = Records(60000);
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs(kDir));
  {
    TargetWriter w = Writer(fs);
    ASSERT_OK(w.Create());
    ASSERT_OK(AddAll(w, recs, 0, recs.size() / 2));
    ASSERT_OK(w.Sync());
    // Garble: append half a record's bytes durably, as a torn write would leave.
    auto f = fs.OpenForWrite(
        std::string(kDir) + "/" +
            PartName("x0000.002.dat", static_cast<int32_t>(w.size() / Opt().part_size)),
        WriteMode::kAppend);
    ASSERT_OK(f);
    ASSERT_OK((*f)->Append(std::string(recs[0].key.data(), recs[0].key.data() + 3)));
    ASSERT_OK((*f)->Sync());
  }
  fs.SimulateCrash();
  TargetWriter w = Writer(fs);
  auto info = w.Resume(std::nullopt);
  ASSERT_OK(info);
  EXPECT_FALSE(info->map_trusted);
  EXPECT_EQ(info->truncated, 3u);
  EXPECT_EQ(w.records(), static_cast<int64_t>(recs.size() / 2));
  ASSERT_OK(AddAll(w, recs, recs.size() / 2, recs.size()));
  ASSERT_OK(w.Finish());
  Files want = Reference(recs), got = Target(fs);
  EXPECT_EQ(got.data, want.data);
  EXPECT_EQ(got.map, want.map);
  EXPECT_EQ(got.crc, want.crc);
}

// With a trusted size the tail past it is verified by adding the same records again: the writer
// continues after the last whole record without rewriting, and cuts where the tail differs.
TEST_P(TargetWriterTest, TailPastTheCheckpointIsVerified) {
  auto recs = Records(20000);
  const size_t ckpt = 5000, written = 9000;
  for (int variant = 0; variant < 3; variant++) {  // 0 intact tail, 1 torn tail, 2 garbage
    MemFileSystem fs;
    ASSERT_OK(fs.CreateDirs(kDir));
    uint64_t trusted = 0;
    {
      TargetWriter w = Writer(fs);
      ASSERT_OK(w.Create());
      ASSERT_OK(AddAll(w, recs, 0, ckpt));
      ASSERT_OK(w.Sync());
      trusted = w.size();
      ASSERT_OK(AddAll(w, recs, ckpt, written));
      ASSERT_OK(w.Sync());
    }
    std::string last_part;
    for (int p = 0;; p++) {
      const std::string path = std::string(kDir) + "/" + PartName("x0000.002.dat", p);
      if (!fs.Exists(path)) break;
      last_part = path;
    }
    std::string bytes = fs.ReadAll(last_part);
    if (variant == 1) bytes.resize(bytes.size() - 2);
    if (variant == 2) bytes[bytes.size() - 40] ^= 0x10;
    fs.WriteAll(last_part, bytes);
    TargetWriter w = Writer(fs);
    auto info = w.Resume(trusted);
    ASSERT_OK(info);
    EXPECT_GT(info->verify_bytes, 0u);
    EXPECT_TRUE(w.verifying());
    ASSERT_OK(AddAll(w, recs, ckpt, recs.size()));
    ASSERT_OK(w.Finish());
    Files want = Reference(recs), got = Target(fs);
    EXPECT_EQ(got.data, want.data) << "variant " << variant;
    EXPECT_EQ(got.map, want.map);
    EXPECT_EQ(got.crc, want.crc);
  }
}

TEST_P(TargetWriterTest, TailLongerThanTheMergeIsCutAtFinish) {
  auto recs = Records(3000);
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs(kDir));
  {
    TargetWriter w = Writer(fs);
    ASSERT_OK(w.Create());
    ASSERT_OK(AddAll(w, recs, 0, recs.size()));
    ASSERT_OK(w.Sync());
  }
  TargetWriter w = Writer(fs);
  ASSERT_OK(w.Resume(uint64_t{0}));
  ASSERT_OK(AddAll(w, recs, 0, 2000));
  ASSERT_OK(w.Finish());
  std::vector<TestRecord> first(recs.begin(), recs.begin() + 2000);
  Files want = Reference(first), got = Target(fs);
  EXPECT_EQ(got.data, want.data);
  EXPECT_EQ(got.map, want.map);
}

INSTANTIATE_TEST_SUITE_P(Rdbs, TargetWriterTest,
                         ::testing::Values(RdbId::kPosdb, RdbId::kClusterdb, RdbId::kTitledb),
                         [](const auto& info) { return std::string(GetRdb(info.param).name); });

// clusterdb with 1 KiB pages and 2 MiB parts: crashes (unsynced data dropped) at several points
// of a multi-part target, each resumed from the last checkpoint, give the uninterrupted bytes.
TEST(TargetWriter, MultiPartCrashesResumeFromCheckpoints) {
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  testing::RandomListOptions ro;
  ro.num_hi = 200;
  auto recs = testing::RandomRecords(rdb, 900000, 9, ro);
  TargetWriter::Options o;
  o.part_size = 2048ULL * rdb.page_size;
  o.buffer_size = 100000;
  auto writer = [&](MemFileSystem& fs) {
    return TargetWriter(&fs, kDir, "clusterdb0000.002.dat", "clusterdb0000.map",
                        "clusterdb0000.crc", rdb, o);
  };
  std::string want_data, want_map;
  {
    MemFileSystem fs;
    ASSERT_OK(fs.CreateDirs(kDir));
    TargetWriter w = writer(fs);
    ASSERT_OK(w.Create());
    ASSERT_OK(AddAll(w, recs, 0, recs.size()));
    ASSERT_OK(w.Finish());
    ASSERT_TRUE(fs.Exists(std::string(kDir) + "/clusterdb0000.002.dat.part2"));
    want_data = ReadTarget(fs, "clusterdb0000.002.dat", "clusterdb0000.map", "x").data;
    want_map = fs.ReadAll(std::string(kDir) + "/clusterdb0000.map");
  }
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs(kDir));
  uint64_t trusted = 0;
  size_t done = 0;  // records durable at the checkpoint
  bool created = false;
  for (size_t crash_at : {size_t{150000}, size_t{420000}, size_t{700000}}) {
    TargetWriter w = writer(fs);
    if (!created) {
      ASSERT_OK(w.Create());
      created = true;
    } else {
      auto info = w.Resume(trusted);
      ASSERT_OK(info);
      ASSERT_EQ(w.size(), trusted);
    }
    // Checkpoint half way, then write on and crash before the next one.
    const size_t mid = (done + crash_at) / 2;
    ASSERT_OK(AddAll(w, recs, done, mid));
    ASSERT_OK(w.Sync());
    trusted = w.size();
    done = mid;
    ASSERT_OK(AddAll(w, recs, mid, crash_at));
    fs.SimulateCrash();
  }
  TargetWriter w = writer(fs);
  ASSERT_OK(w.Resume(trusted));
  ASSERT_OK(AddAll(w, recs, done, recs.size()));
  ASSERT_OK(w.Finish());
  EXPECT_EQ(ReadTarget(fs, "clusterdb0000.002.dat", "clusterdb0000.map", "x").data, want_data);
  EXPECT_EQ(fs.ReadAll(std::string(kDir) + "/clusterdb0000.map"), want_map);
}

TEST(TargetWriter, OutOfOrderTargetIsCorruption) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  auto recs = testing::RandomRecords(rdb, 100, 3);
  std::swap(recs[10], recs[20]);
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs(kDir));
  fs.WriteAll(std::string(kDir) + "/titledb0000-000.002.dat", testing::EncodeRecords(rdb, recs));
  TargetWriter w(&fs, kDir, "titledb0000-000.002.dat", "titledb0000.map", "titledb0000.crc", rdb,
                 {});
  auto info = w.Resume(std::nullopt);
  EXPECT_EQ(info.status().code(), ErrorCode::kCorruption) << info.status().ToString();
}

}  // namespace
}  // namespace shardtool
