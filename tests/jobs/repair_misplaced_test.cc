// `repair misplaced` (jobs/repair/misplaced_job.h, issue 18 §1): misplaced records (slots this
// shard does not own, no rangeDeletion) go to one orphans bundle per owner and leave the host;
// orphans under a rangeDeletion stay; a live lease keeps its slots (exit 4); nothing misplaced
// writes nothing; --dry-run counts per owner; and a crash at every test point (and at every atomic
// write) followed by a rerun puts every misplaced record into exactly one committed bundle.
#include <gtest/gtest.h>

#include <algorithm>

#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "io/test_point.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/repair/misplaced_job.h"
#include "testing/bundle_records.h"
#include "testing/crash_at.h"
#include "testing/merge_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::CrashAt;
using testing::ExpectRecords;
using testing::MergeCluster;
using testing::TestRecord;

// Host 0 of MergeCluster (2 shards) owns the even slots: records in odd slots are misplaced.
struct MisplacedSetup {
  MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::vector<std::vector<TestRecord>> lists;
  explicit MisplacedSetup(int files = 3, bool only_owned = false) {
    testing::RandomListOptions ro;
    ro.num_hi = 300;
    ro.max_data_size = 40;
    for (int i = 0; i < files; i++) {
      auto recs = testing::RandomRecords(rdb, 1200, 700 + static_cast<uint64_t>(i), ro);
      if (only_owned) {
        std::erase_if(recs, [&](const TestRecord& t) { return KeySlot(rdb, t.key.data()) % 2; });
      }
      lists.push_back(std::move(recs));
      EXPECT_OK(c.WriteInput(rdb, 2 * i + 1, lists.back()));
    }
    EXPECT_OK(c.Init());
  }
  MisplacedRequest Request() const {
    MisplacedRequest r;
    r.workdir = c.workdir;
    r.database = "main";
    r.rdbs = {"titledb"};
    return r;
  }
  Result<MisplacedReport> Run(const MisplacedRequest& r) {
    return RunRepairMisplaced(c.fs(), r, c.env);
  }
  std::string Outbox() const { return OutboxDir(c.workdir); }
  // Names in the outbox (committed bundles and .tmp dirs).
  std::vector<std::string> OutboxEntries() {
    std::vector<std::string> out;
    if (!c.mem().Exists(Outbox())) return out;
    auto entries = c.mem().ListDir(Outbox());
    EXPECT_OK(entries);
    if (!entries.ok()) return out;
    for (const DirEntry& e : *entries) out.push_back(e.name);
    return out;
  }
};

// The survivors of a merge of the lists: the misplaced ones (negatives included) and the kept ones
// (negatives dropped: the whole set is merged).
void Expected(const MisplacedSetup& s, const std::function<bool(int)>& misplaced,
              std::vector<TestRecord>* kept, std::vector<TestRecord>* moved) {
  testing::ReferenceOptions ro;
  ro.drop_negatives = true;
  ro.drop = [&](const Key& k) { return misplaced(KeySlot(s.rdb, k.data())); };
  *kept = testing::ReferenceMerge(s.rdb, s.lists, ro, moved);
  std::sort(moved->begin(), moved->end(),
            [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
}

// The one committed bundle of the outbox and nothing else; its records.
std::vector<TestRecord> OnlyBundle(MisplacedSetup& s) {
  const std::vector<std::string> names = s.OutboxEntries();
  EXPECT_EQ(names.size(), 1u);
  if (names.size() != 1) return {};
  EXPECT_EQ(names[0].rfind("main.titledb.s1.", 0), 0u) << names[0];
  EXPECT_EQ(names[0].find(".tmp"), std::string::npos) << names[0];
  auto b = ReadBundle(&s.c.mem(), s.Outbox() + "/" + names[0]);
  EXPECT_OK(b);
  if (!b.ok()) return {};
  EXPECT_EQ(b->manifest.header.kind, "orphans");
  EXPECT_EQ(b->manifest.header.target_shard, 1);
  EXPECT_EQ(b->manifest.header.source_shard, 0);
  EXPECT_FALSE(b->manifest.header.catalog_shard_version.empty());
  return testing::BundleRecords(*b, s.rdb.key_size);
}

TEST(RepairMisplaced, ExportsMisplacedRecordsToTheOwnersBundleAndRemovesThem) {
  MisplacedSetup s;
  std::vector<TestRecord> kept, moved;
  Expected(
      s, [](int slot) { return slot % 2 == 1; }, &kept, &moved);
  ASSERT_FALSE(moved.empty());
  auto r = s.Run(s.Request());
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_EQ(r->misplaced, static_cast<int64_t>(moved.size()));
  EXPECT_EQ(r->by_owner, (std::map<int32_t, int64_t>{{1, static_cast<int64_t>(moved.size())}}));
  ASSERT_EQ(r->rdbs.size(), 1u);
  EXPECT_TRUE(r->rdbs[0].merged);
  ASSERT_EQ(r->rdbs[0].bundles.size(), 1u);
  EXPECT_EQ(r->rdbs[0].bundles[0].records, static_cast<int64_t>(moved.size()));
  EXPECT_EQ(r->rdbs[0].bundles[0].target_shard, 1);
  ExpectRecords(OnlyBundle(s), moved);
  ExpectRecords(*s.c.ReadFile(s.rdb, "titledb0001-000.dat"), kept);
  EXPECT_EQ(*s.c.VerifyErrors(s.rdb, "titledb0001-000.dat"), 0);

  // A second run: nothing misplaced, nothing written.
  const std::vector<std::string> before = s.c.Listing();
  auto again = s.Run(s.Request());
  ASSERT_OK(again);
  ASSERT_OK(again->outcome);
  EXPECT_EQ(again->misplaced, 0);
  EXPECT_FALSE(again->rdbs[0].merged);
  EXPECT_EQ(again->rdbs[0].note, "nothing misplaced");
  EXPECT_EQ(s.c.Listing(), before);
  EXPECT_EQ(s.OutboxEntries().size(), 1u);
}

TEST(RepairMisplaced, NothingMisplacedWritesNothing) {
  MisplacedSetup s(3, /*only_owned=*/true);
  const std::vector<std::string> before = s.c.Listing();
  auto r = s.Run(s.Request());
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_EQ(r->misplaced, 0);
  EXPECT_FALSE(r->rdbs[0].merged);
  EXPECT_EQ(s.c.Listing(), before);
  EXPECT_FALSE(s.c.mem().Exists(s.Outbox()));
}

TEST(RepairMisplaced, DryRunCountsPerOwnerAndWritesNothing) {
  MisplacedSetup s;
  std::vector<TestRecord> kept, moved;
  Expected(
      s, [](int slot) { return slot % 2 == 1; }, &kept, &moved);
  const std::vector<std::string> before = s.c.Listing();
  MisplacedRequest req = s.Request();
  req.dry_run = true;
  auto r = s.Run(req);
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_TRUE(r->dry_run);
  EXPECT_EQ(r->misplaced, static_cast<int64_t>(moved.size()));
  EXPECT_EQ(r->rdbs[0].by_owner,
            (std::map<int32_t, int64_t>{{1, static_cast<int64_t>(moved.size())}}));
  EXPECT_FALSE(r->rdbs[0].merged);
  EXPECT_EQ(s.c.Listing(), before);
  EXPECT_FALSE(s.c.mem().Exists(s.Outbox()));
}

TEST(RepairMisplaced, OrphansUnderARangeDeletionAreLeftAlone) {
  MisplacedSetup s;
  // Slots 0-4095 move to shard 1: their even slots become orphans (the rangeDeletion covers the
  // slots that left this shard); the odd ones were never this shard's: misplaced.
  ASSERT_OK(s.c.MoveSlots(0, 4095, 1, 0));
  std::vector<TestRecord> kept, moved;
  Expected(
      s, [](int slot) { return slot % 2 == 1; }, &kept, &moved);
  auto r = s.Run(s.Request());
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_EQ(r->misplaced, static_cast<int64_t>(moved.size()));
  int64_t orphans = 0;
  for (const TestRecord& t : kept) orphans += KeySlot(s.rdb, t.key.data()) < 4096 ? 1 : 0;
  EXPECT_GT(orphans, 0);
  EXPECT_GE(r->orphans_left, orphans);  // the kept negatives of those slots counted too
  ExpectRecords(OnlyBundle(s), moved);
  ExpectRecords(*s.c.ReadFile(s.rdb, "titledb0001-000.dat"), kept);
  // The rangeDeletion is still there for merge --orphans-to.
  EXPECT_FALSE(s.c.LoadCatalog()->range_deletions.empty());
}

TEST(RepairMisplaced, ALiveLeaseKeepsItsSlots) {
  MisplacedSetup s;
  auto catalog = s.c.LoadCatalog();
  ASSERT_OK(catalog);
  const std::string uuid = catalog->FindCollection("main.titledb")->uuid;
  const int64_t now = s.c.mem().NowMicros() / 1000000;
  // A live lease whose ownedSlots include the misplaced slots 1-999.
  s.c.mem().WriteAll(LeasesDir(s.c.workdir, uuid) + "/h-1-x.json",
                     "{\"pid\": 1, \"ownedSlots\": [[0, 1000]], \"catalogEpoch\": \"" +
                         catalog->epoch + "\", \"catalogVersion\": 1, \"expiresAt\": " +
                         std::to_string(now + 60) + ", \"files\": []}");
  std::vector<TestRecord> kept, moved;
  Expected(
      s, [](int slot) { return slot >= 1000 && slot % 2 == 1; }, &kept, &moved);
  auto r = s.Run(s.Request());
  ASSERT_OK(r);
  EXPECT_EQ(r->outcome.code(), ErrorCode::kRangeDeletionDeferred) << r->outcome.ToString();
  EXPECT_GT(r->deferred, 0);
  EXPECT_EQ(r->misplaced, static_cast<int64_t>(moved.size()));
  EXPECT_EQ(r->rdbs[0].deferred_leases, (std::vector<std::string>{"h-1-x.json"}));
  ExpectRecords(OnlyBundle(s), moved);
  ExpectRecords(*s.c.ReadFile(s.rdb, "titledb0001-000.dat"), kept);
}

TEST(RepairMisplaced, RefusesWhileGigablastRuns) {
  MisplacedSetup s;
  class Running : public GigablastDetector {
   public:
    Result<std::optional<std::string>> Find(const std::string&) override {
      return std::optional<std::string>("gb (pid 42)");
    }
  } running;
  s.c.env.gigablast = &running;
  auto r = s.Run(s.Request());
  EXPECT_EQ(r.status().code(), ErrorCode::kBusy);
  MisplacedRequest req = s.Request();
  req.force = true;
  auto forced = s.Run(req);
  ASSERT_OK(forced);
  EXPECT_GT(forced->misplaced, 0);
}

TEST(RepairMisplaced, AnInterruptedPlainMergeMustBeFinishedFirst) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  MisplacedSetup s;
  {
    CrashAt crash(&s.c.mem(), "merge.after_target_create", 1);
    EXPECT_FALSE(s.c.Merge(s.c.Request("titledb", MergeSelection::kAll)).ok());
  }
  s.c.mem().SimulateCrash();
  auto r = s.Run(s.Request());
  EXPECT_EQ(r.status().code(), ErrorCode::kFailedPrecondition);
  // And a plain merge does not take over an interrupted repair.
  MisplacedSetup t;
  {
    CrashAt crash(&t.c.mem(), "merge.after_target_create", 1);
    EXPECT_FALSE(t.Run(t.Request()).ok());
  }
  t.c.mem().SimulateCrash();
  EXPECT_EQ(t.c.Merge(t.c.Request("titledb", MergeSelection::kAll)).status().code(),
            ErrorCode::kFailedPrecondition);
  auto finished = t.Run(t.Request());
  ASSERT_OK(finished);
  EXPECT_TRUE(finished->rdbs[0].resumed);
}

// A crash at the hit-th pass of every test point of the merge, and at every atomic write (journal,
// manifest, retired list), then a rerun: each misplaced record is in exactly one committed bundle,
// none is left on the host, and nothing else moved.
TEST(RepairMisplaced, CrashAnywhereThenRerunExportsEveryRecordExactlyOnce) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  const char* points[] = {"merge.after_journal_start",
                          "merge.after_target_create",
                          "merge.checkpoint.after_target_sync",
                          "merge.checkpoint.after_journal",
                          "merge.after_target_sync",
                          "merge.after_target_map",
                          "merge.before_incorporate",
                          "merge.after_bundles_commit",
                          "merge.after_retire",
                          "merge.after_remove_inputs",
                          "merge.after_unretire",
                          "merge.after_rename_target",
                          "merge.after_journal_remove",
                          "atomic_file.before_rename",
                          "atomic_file.after_rename"};
  int cases = 0;
  for (const char* point : points) {
    for (int hit = 1; hit <= 40; hit++) {
      MisplacedSetup s;
      std::vector<TestRecord> kept, moved;
      Expected(
          s, [](int slot) { return slot % 2 == 1; }, &kept, &moved);
      bool crashed = false;
      {
        CrashAt crash(&s.c.mem(), point, hit);
        auto r = s.Run(s.Request());
        crashed = crash.crashed();
        if (!crashed) {
          ASSERT_OK(r);
        }
      }
      if (!crashed) break;  // the point is passed fewer than `hit` times
      cases++;
      s.c.mem().SimulateCrash();
      auto r = s.Run(s.Request());
      ASSERT_OK(r) << point << " #" << hit;
      ASSERT_OK(r->outcome) << point << " #" << hit;
      SCOPED_TRACE(std::string(point) + " #" + std::to_string(hit));
      ExpectRecords(OnlyBundle(s), moved);
      ExpectRecords(*s.c.ReadFile(s.rdb, "titledb0001-000.dat"), kept);
      for (const std::string& f : s.c.Listing()) EXPECT_EQ(f.find("titledb0001"), 0u) << f;
      EXPECT_FALSE(s.c.mem().Exists(JournalDir(s.c.workdir) + "/merge." +
                                    s.c.LoadCatalog()->FindCollection("main.titledb")->uuid +
                                    ".json"));
      // A third run finds nothing left.
      auto again = s.Run(s.Request());
      ASSERT_OK(again);
      EXPECT_EQ(again->misplaced, 0);
      EXPECT_EQ(s.OutboxEntries().size(), 1u);
    }
  }
  EXPECT_GT(cases, 20);
}

}  // namespace
}  // namespace shardtool
