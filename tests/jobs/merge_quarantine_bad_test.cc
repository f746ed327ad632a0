// `merge --quarantine-bad` (issue 16 item 1): a damaged input page is left out of the target and
// kept in the quarantine as raw bytes with its file, byte range and rule; the merge commits and
// its exit status is 1. A crash at any checkpoint and a rerun give the target and the quarantine
// entry of an uninterrupted run, each damaged page written once.
#include <gtest/gtest.h>

#include <atomic>

#include "catalog/state_paths.h"
#include "format/key_fields.h"
#include "io/test_point.h"
#include "io/zstd_codec.h"
#include "iter/file_stream.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/merge/merge_job.h"
#include "jobs/quarantine/quarantine_job.h"
#include "testing/merge_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::MergeCluster;
using testing::TestRecord;

constexpr int kDamagedRecord = 15000;  // of posdb0001.dat, in a middle page

// Three posdb files with sidecars.
void WriteInputs(MergeCluster& c) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  testing::RandomListOptions ro;
  ro.num_hi = 200;
  ro.num_mid = 3;
  for (int i = 0; i < 3; i++) {
    // posdb0001.dat spans several 32 KiB pages.
    auto recs =
        testing::RandomRecords(rdb, i == 0 ? 30000 : 3000, 700 + static_cast<uint64_t>(i), ro);
    ASSERT_OK(c.WriteInput(rdb, 2 * i + 1, recs));
  }
  ASSERT_OK(c.Init());
}

// Logical offsets of every record of a data file (decoded without its sidecar).
std::vector<uint64_t> RecordOffsets(MergeCluster& c, const std::string& name) {
  auto df = OpenDataFile(&c.mem(), c.dir, name, nullptr, {}, nullptr);
  EXPECT_OK(df);
  std::vector<uint64_t> out;
  FileStream s(&*df, 4096);
  for (s.SeekToFirst(); s.Valid(); s.Next()) out.push_back(s.offset());
  EXPECT_OK(s.status());
  return out;
}

// Flips the delete bit of record n of posdb0001.dat (a key byte; only the sidecar can tell).
uint64_t Damage(MergeCluster& c, int n) {
  const uint64_t at = RecordOffsets(c, "posdb0001.dat")[static_cast<size_t>(n)];
  const std::string path = c.dir + "/posdb0001.dat";
  std::string bytes = c.mem().ReadAll(path);
  bytes[at] ^= 0x01;
  c.mem().WriteAll(path, bytes);
  return at;
}

MergeRequest Request(MergeCluster& c) {
  MergeRequest req = c.Request("posdb", MergeSelection::kAll);
  req.quarantine_bad = true;
  return req;
}

// The one quarantine entry of the workdir, read back.
struct Entry {
  std::string name;
  BundleContents contents;
  std::string bytes;  // every raw stream's bytes, in order
};
Entry QuarantineEntry(MergeCluster& c) {
  Entry e;
  const std::string qdir = c.workdir + "/shardtool/quarantine";
  auto entries = c.mem().ListDir(qdir);
  EXPECT_OK(entries);
  int n = 0;
  for (const DirEntry& d : *entries) {
    if (!d.is_dir) continue;
    e.name = d.name;
    n++;
  }
  EXPECT_EQ(n, 1);
  auto b = ReadBundle(&c.mem(), qdir + "/" + e.name);
  EXPECT_OK(b);
  if (!b.ok()) return e;
  e.contents = std::move(b).value();
  for (const BundleStreamInfo& s : e.contents.manifest.streams) {
    auto frame = c.mem().ReadAll(qdir + "/" + e.name + "/" + s.file);
    auto plain = ZstdDecompressFrame(frame, s.bytes);
    EXPECT_OK(plain);
    if (plain.ok()) e.bytes += *plain;
  }
  return e;
}

TEST(MergeQuarantineBad, DamagedPageIsLeftOutAndKeptInTheQuarantine) {
  MergeCluster c;
  WriteInputs(c);
  const uint64_t flipped = Damage(c, kDamagedRecord);
  const std::string damaged = c.mem().ReadAll(c.dir + "/posdb0001.dat");
  const std::vector<uint64_t> offsets = RecordOffsets(c, "posdb0001.dat");

  auto r = c.Merge(Request(c));
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_EQ(r->exit_status(), 1);
  EXPECT_EQ(r->counters.damaged_ranges, 1);

  // The entry: one raw stream of posdb0001.dat, the range covering the damaged page, its bytes
  // exactly the file's.
  Entry e = QuarantineEntry(c);
  EXPECT_EQ(r->damaged_entry, c.workdir + "/shardtool/quarantine/" + e.name);
  const BundleManifest& m = e.contents.manifest;
  EXPECT_EQ(m.header.kind, "quarantine");
  EXPECT_EQ(m.header.target_shard, 0);
  ASSERT_EQ(m.streams.size(), 1u);
  const BundleStreamInfo& s = m.streams[0];
  EXPECT_EQ(s.reason, "corrupt-page");
  EXPECT_EQ(s.encoding, "raw");
  EXPECT_EQ(s.source_file, "coll.main.0/posdb0001.dat");
  ASSERT_EQ(s.ranges.size(), 1u);
  const BundleRange& range = s.ranges[0];
  EXPECT_EQ(range.rule, "C4");
  const uint64_t ps = GetRdb(RdbId::kPosdb).page_size;
  const uint64_t page = flipped / ps;
  EXPECT_LE(range.offset, page * ps);
  EXPECT_GE(range.offset + range.length, (page + 1) * ps);
  EXPECT_LT(range.length, 3 * ps);
  EXPECT_EQ(r->counters.damaged_bytes, range.length);
  EXPECT_EQ(e.bytes, damaged.substr(range.offset, range.length));
  // Starts and ends on record boundaries.
  EXPECT_NE(std::find(offsets.begin(), offsets.end(), range.offset), offsets.end());
  EXPECT_NE(std::find(offsets.begin(), offsets.end(), range.offset + range.length), offsets.end());

  // The target holds every other record: the merge of the inputs without the left-out ones.
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  auto inputs = c.Inputs(rdb, {1, 3, 5});
  std::vector<TestRecord> kept;
  for (size_t i = 0; i < offsets.size(); i++) {
    if (offsets[i] < range.offset || offsets[i] >= range.offset + range.length) {
      kept.push_back(inputs[0][i]);
    }
  }
  ASSERT_EQ(inputs[0].size(), offsets.size());
  EXPECT_LT(kept.size(), inputs[0].size());
  inputs[0] = kept;
  testing::ReferenceOptions ro;
  ro.drop_negatives = true;
  auto got = c.ReadFile(rdb, "posdb0001.dat");
  ASSERT_OK(got);
  testing::ExpectRecords(*got, testing::ReferenceMerge(rdb, inputs, ro));
  EXPECT_EQ(*c.VerifyErrors(rdb, "posdb0001.dat"), 0);
  // The inputs went as in any merge.
  EXPECT_EQ(c.Listing(),
            (std::vector<std::string>{"posdb0001.crc", "posdb0001.dat", "posdb0001.map"}));

  // quarantine list names the reason and the source; export refuses raw bytes.
  auto list = ListQuarantine(&c.mem(), c.workdir, "main");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].reasons, std::vector<std::string>{"corrupt-page"});
  EXPECT_EQ((*list)[0].sources, std::vector<std::string>{"coll.main.0/posdb0001.dat"});
  auto ex = ExportQuarantine(&c.mem(), c.workdir, *c.LoadCatalog(), e.name, "/out");
  EXPECT_EQ(ex.status().code(), ErrorCode::kFailedPrecondition) << ex.status().ToString();
}

TEST(MergeQuarantineBad, WithoutTheOptionDamageStillStopsTheMerge) {
  MergeCluster c;
  WriteInputs(c);
  Damage(c, kDamagedRecord);
  auto r = c.Merge(c.Request("posdb", MergeSelection::kAll));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 8);
  EXPECT_FALSE(c.mem().Exists(c.workdir + "/shardtool/quarantine"));
}

TEST(MergeQuarantineBad, DryRunCountsTheDamageAndWritesNothing) {
  MergeCluster c;
  WriteInputs(c);
  Damage(c, kDamagedRecord);
  const std::vector<std::string> before = c.Listing();
  MergeRequest req = Request(c);
  req.dry_run = true;
  auto r = c.Merge(req);
  ASSERT_OK(r);
  EXPECT_EQ(r->counters.damaged_ranges, 1);
  EXPECT_EQ(r->exit_status(), 1);
  EXPECT_EQ(c.Listing(), before);
  EXPECT_FALSE(c.mem().Exists(c.workdir + "/shardtool/quarantine"));
}

TEST(MergeQuarantineBad, TheOptionIsFrozenInTheJournal) {
  MergeCluster c;
  WriteInputs(c);
  Damage(c, kDamagedRecord);
  std::atomic<bool> stop{true};
  c.env.stop = &stop;
  auto first = c.Merge(Request(c));
  c.env.stop = nullptr;
  ASSERT_OK(first);
  ASSERT_EQ(first->outcome.code(), ErrorCode::kInterrupted);
  auto other = c.Merge(c.Request("posdb", MergeSelection::kAuto));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().exit_status(), 3);
  EXPECT_NE(other.status().message().find("--quarantine-bad"), std::string::npos);
  MergeRequest again = Request(c);
  again.selection = MergeSelection::kAuto;
  auto r = c.Merge(again);
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_EQ(r->exit_status(), 1);
  EXPECT_EQ(r->counters.damaged_ranges, 1);
}

// Without a sidecar a record that does not decode (a negative data size, L3) is the damage: from
// that record to the first record start the map gives in a later page.
TEST(MergeQuarantineBad, RecordThatDoesNotDecodeIsLeftOut) {
  MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  for (int f = 0; f < 2; f++) {
    std::vector<TestRecord> recs;
    for (uint64_t d = 0; d < 300; d++) {
      const uint64_t docid = d * 2 + static_cast<uint64_t>(f) + 1;
      recs.push_back({MakeTitledbKey(docid, docid * 7, true), std::string(1000, 'a' + f)});
    }
    ASSERT_OK(c.WriteInput(rdb, 2 * f + 1, recs));
  }
  ASSERT_OK(c.Init());
  ASSERT_OK(c.mem().RemoveFile(c.dir + "/titledb0001.crc"));  // decoding is the check
  const std::vector<uint64_t> offsets = RecordOffsets(c, "titledb0001-000.dat");
  const uint64_t at = offsets[150];
  std::string bytes = c.mem().ReadAll(c.dir + "/titledb0001-000.dat");
  bytes[at + 12 + 3] = static_cast<char>(0x80);  // data size < 0
  c.mem().WriteAll(c.dir + "/titledb0001-000.dat", bytes);

  MergeRequest req = c.Request("titledb", MergeSelection::kAll);
  EXPECT_EQ(c.Merge(req).status().exit_status(), 8);
  req.quarantine_bad = true;
  auto r = c.Merge(req);
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_EQ(r->exit_status(), 1);
  Entry e = QuarantineEntry(c);
  ASSERT_EQ(e.contents.manifest.streams.size(), 1u);
  const BundleStreamInfo& s = e.contents.manifest.streams[0];
  EXPECT_EQ(s.source_file, "coll.main.0/titledb0001-000.dat");
  ASSERT_EQ(s.ranges.size(), 1u);
  const BundleRange& range = s.ranges[0];
  EXPECT_EQ(range.rule, "L3");
  EXPECT_EQ(range.offset, at);
  EXPECT_GT(range.offset + range.length, (at / rdb.page_size + 1) * rdb.page_size - 1);
  EXPECT_EQ(e.bytes, bytes.substr(range.offset, range.length));
  auto inputs = c.Inputs(rdb, {1, 3});
  std::vector<TestRecord> kept;
  for (size_t i = 0; i < offsets.size(); i++) {
    if (offsets[i] < range.offset || offsets[i] >= range.offset + range.length) {
      kept.push_back(inputs[0][i]);
    }
  }
  EXPECT_LT(kept.size(), inputs[0].size());
  inputs[0] = kept;
  testing::ReferenceOptions ro;
  ro.drop_negatives = true;
  auto got = c.ReadFile(rdb, "titledb0001-000.dat");
  ASSERT_OK(got);
  testing::ExpectRecords(*got, testing::ReferenceMerge(rdb, inputs, ro));
}

// A crash at the n-th checkpoint (before and after the damage is passed) and a rerun: the same
// target and the same quarantine entry as an uninterrupted run, the damaged page written once.
TEST(MergeQuarantineBad, RerunAfterACrashGivesTheUninterruptedResult) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  MergeCluster ref;
  WriteInputs(ref);
  Damage(ref, kDamagedRecord);
  auto want = ref.Merge(Request(ref));
  ASSERT_OK(want);
  const std::string want_target = ref.mem().ReadAll(ref.dir + "/posdb0001.dat");
  const Entry want_entry = QuarantineEntry(ref);
  const auto& want_ranges = want_entry.contents.manifest.streams.at(0).ranges;

  int crashes = 0;
  for (const char* point : {"merge.checkpoint.after_target_sync", "merge.checkpoint.after_journal",
                            "merge.before_incorporate", "merge.after_bundles_commit"}) {
    for (int hit : {1, 4, 8, 12, 16}) {
      SCOPED_TRACE(std::string(point) + " #" + std::to_string(hit));
      MergeCluster c;
      WriteInputs(c);
      Damage(c, kDamagedRecord);
      int seen = 0;
      bool crashed = false;
      testpoint::SetHandler([&](std::string_view name) -> Status {
        if (name != point || ++seen != hit) return Status::Ok();
        c.mem().Freeze();
        crashed = true;
        return IOErrorStatus("simulated crash");
      });
      auto r = c.Merge(Request(c));
      testpoint::SetHandler(nullptr);
      if (!crashed) continue;  // fewer checkpoints than `hit`
      crashes++;
      EXPECT_FALSE(r.ok());
      c.mem().SimulateCrash();
      auto again = c.Merge(Request(c));
      ASSERT_OK(again);
      ASSERT_OK(again->outcome);
      EXPECT_EQ(again->exit_status(), 1);
      EXPECT_EQ(again->counters, want->counters);
      EXPECT_EQ(c.mem().ReadAll(c.dir + "/posdb0001.dat"), want_target);
      const Entry got = QuarantineEntry(c);
      EXPECT_EQ(got.bytes, want_entry.bytes);
      ASSERT_EQ(got.contents.manifest.streams.size(), 1u);
      EXPECT_EQ(got.contents.manifest.streams[0].ranges, want_ranges);
    }
  }
  EXPECT_GE(crashes, 8);
}

}  // namespace
}  // namespace shardtool
