// quarantine list / export / drop (issue 16): an exported entry is a bundle ingest accepts (with
// orphan semantics), a dropped one is gone, and every action is in the append-only log.
#include "jobs/quarantine/quarantine_job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "format/key_fields.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/ingest/ingest_job.h"
#include "testing/import_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

constexpr char kQuarantineHost[] = "/cluster/host1";

struct QuarantineFixture : ::testing::Test {
  ImportCluster c;
  std::string entry = "main.titledb.s1.20261206T000000Z.00000001";
  const Catalog* cat = nullptr;
  std::shared_ptr<const CatalogSnapshot> snap;
  void SetUp() override {
    c.local_hosts = {0, 1};
    c.Setup();
    auto s = c.cache.Get(&c.mem, kQuarantineHost);
    ASSERT_OK(s);
    snap = *s;
    cat = &snap->catalog();
    BundleHeader h;
    h.kind = "quarantine";
    h.target_shard = 1;
    h.database = "main";
    BundleWriter w(&c.mem, QuarantineDir(kQuarantineHost), entry, ImportTitledb(), h);
    ASSERT_OK(w.Open());
    w.SetSlotSource(0, "coll.main.0/titledb0001-000.dat", "orphan");
    const std::string data = std::string(1, '\x64') + std::string(3, '\0') + "page";
    uint64_t off = 0;
    for (uint64_t d = 1000; w.records() < 20; d += 7) {
      const Key k = MakeTitledbKey(d, 7, true);
      if (KeySlot(ImportTitledb(), k.data()) % 2 != 1) continue;
      ASSERT_TRUE(w.Add(0, k.data(), reinterpret_cast<const uint8_t*>(data.data()),
                        static_cast<uint32_t>(data.size()), off, 20)
                      .ok());
      off += 20;
    }
    ASSERT_OK(w.Commit());
  }
  int LogLines() {
    const std::string log = c.mem.ReadAll(QuarantineLogPath(kQuarantineHost));
    return static_cast<int>(std::count(log.begin(), log.end(), '\n'));
  }
};

TEST_F(QuarantineFixture, ExportIsIngestableAndDropRemovesTheEntry) {
  auto l = ListQuarantine(&c.mem, kQuarantineHost, "main");
  ASSERT_OK(l);
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].entry, entry);
  EXPECT_EQ((*l)[0].positive, 20);
  auto e = ExportQuarantine(&c.mem, kQuarantineHost, *cat, entry, "/out");
  ASSERT_OK(e);
  EXPECT_EQ(e->records, 20);
  EXPECT_EQ(LogLines(), 1);
  IngestEnv env;
  env.catalogs = &c.cache;
  env.gigablast = &c.no_gb;
  env.heartbeat_thread = false;
  IngestRequest ir;
  ir.workdir = kQuarantineHost;
  ir.bundle_dir = e->bundle;
  auto in = RunIngest(&c.mem, ir, env);
  ASSERT_OK(in);
  EXPECT_EQ(in->kind, "orphans");
  EXPECT_EQ(in->positive, 20);
  // The wrong shard refuses it.
  ir.workdir = "/cluster/host0";
  EXPECT_EQ(RunIngest(&c.mem, ir, env).status().exit_status(), 3);
  auto d = DropQuarantine(&c.mem, kQuarantineHost, entry);
  ASSERT_OK(d);
  EXPECT_EQ(d->files, 2);  // one stream and the manifest
  EXPECT_FALSE(c.mem.Exists(QuarantineDir(kQuarantineHost) + "/" + entry));
  EXPECT_EQ(LogLines(), 2);
  l = ListQuarantine(&c.mem, kQuarantineHost, "main");
  ASSERT_OK(l);
  EXPECT_TRUE(l->empty());
  EXPECT_EQ(DropQuarantine(&c.mem, kQuarantineHost, entry).status().exit_status(), 3);
}

TEST_F(QuarantineFixture, NamesOutsideTheQuarantineAreUsageErrors) {
  for (const std::string bad : {"../journal", "/etc", ".drop.x", ""}) {
    EXPECT_EQ(DropQuarantine(&c.mem, kQuarantineHost, bad).status().exit_status(), 2) << bad;
    EXPECT_EQ(ExportQuarantine(&c.mem, kQuarantineHost, *cat, bad, "/out").status().exit_status(),
              2)
        << bad;
  }
}

// A drop interrupted after its rename is finished by the next list.
TEST_F(QuarantineFixture, InterruptedDropIsFinished) {
  const std::string q = QuarantineDir(kQuarantineHost);
  ASSERT_OK(c.mem.Rename(q + "/" + entry, q + "/.drop." + entry));
  auto l = ListQuarantine(&c.mem, kQuarantineHost, "main");
  ASSERT_OK(l);
  EXPECT_TRUE(l->empty());
  EXPECT_FALSE(c.mem.Exists(q + "/.drop." + entry));
}

}  // namespace
}  // namespace shardtool::testing
