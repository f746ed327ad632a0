// Temporaries of import and ingest (issue 16 item 7): Gigablast loads any name that contains
// ".dat", so no temporary in a collection dir may, and the next run removes what a crash or a
// full disk left.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "format/file_name.h"
#include "format/key_fields.h"
#include "io/fault_file_system.h"
#include "io/test_point.h"
#include "jobs/ingest/ingest_job.h"
#include "testing/import_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

// Names in the collection dirs of hosts 0..n-1: *temps gets those with ".import.tmp", and every
// name with ".dat" must be a data file name (part 0 or a later part).
void CheckNames(MemFileSystem& mem, int hosts, std::vector<std::string>* temps) {
  for (int h = 0; h < hosts; ++h) {
    auto l = mem.ListDir("/cluster/host" + std::to_string(h) + "/coll.main.0");
    ASSERT_OK(l);
    for (const DirEntry& e : *l) {
      if (e.name.find(".import.tmp") != std::string::npos) temps->push_back(e.name);
      if (e.name.find(".dat") != std::string::npos) {
        EXPECT_TRUE(ParseDataFileName(e.name).has_value()) << e.name;
      }
    }
  }
}

TEST(TempNames, ImportTemporariesHaveNoDatAndTheRerunRemovesThem) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  ImportCluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(300, 31, 0.1));
  // A crash (kill -9): the file system freezes at the point, what was synced survives. (A run that
  // fails instead removes its temporaries itself: ImportSpace.)
  testpoint::SetHandler([&c](std::string_view name) {
    if (name != "import.after_target_write") return Status::Ok();
    c.mem.Freeze();
    return IOErrorStatus("crash");
  });
  auto r = c.Import();
  testpoint::SetHandler(nullptr);
  ASSERT_FALSE(r.ok());
  c.mem.SimulateCrash();
  std::vector<std::string> temps;
  CheckNames(c.mem, 4, &temps);
  EXPECT_FALSE(temps.empty());  // the crash left the batch's files
  ASSERT_OK(c.Import());
  temps.clear();
  CheckNames(c.mem, 4, &temps);
  EXPECT_TRUE(temps.empty()) << temps[0];
  c.ExpectExact();
}

TEST(TempNames, IngestOnAFullDiskLeavesNoTemporary) {
  ImportCluster c;
  c.local_hosts = {0, 1};
  c.Setup();
  // An import bundle of shard 1.
  std::string bundle;
  c.WriteShard1Bundle("main.titledb.s1.t", 50,
                      std::string(1, '\x64') + std::string(3, '\0') + "page", &bundle);
  ASSERT_FALSE(bundle.empty());
  FaultFileSystem faults(&c.mem);
  faults.AddRule(FaultRule::Fail(FsOp::kSync, ENOSPC).OnPath("/cluster/host1/coll.main.0/"));
  IngestEnv env;
  env.catalogs = &c.cache;
  env.gigablast = &c.no_gb;
  env.heartbeat_thread = false;
  IngestRequest req;
  req.workdir = "/cluster/host1";
  req.bundle_dir = bundle;
  auto r = RunIngest(&faults, req, env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 7) << r.status().ToString();
  std::vector<std::string> temps;
  CheckNames(c.mem, 2, &temps);
  EXPECT_TRUE(temps.empty()) << temps[0];
  r = RunIngest(&c.mem, req, env);
  ASSERT_OK(r);
  EXPECT_EQ(r->positive, 50);
}

}  // namespace
}  // namespace shardtool::testing
