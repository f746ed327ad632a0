// Host identity by IP and working dir (issue 17 §1; issue 16's one working dir on two IPs).
#include "catalog/host_identity.h"

#include <gtest/gtest.h>

#include "catalog/catalog_admin.h"
#include "io/mem_file_system.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

HostsConf IdentityConf() { return testing::FixtureHostsConf("/c"); }  // 10.0.0.1..4, /c/host0..3

TEST(IdentifyHost, ByAddressAndWorkdir) {
  FixedLocalHost local({"127.0.0.1", "10.0.0.3"});
  auto id = IdentifyHost(HostAddressesOf(IdentityConf()), "/c/host2", &local, "hosts.conf");
  ASSERT_OK(id);
  EXPECT_EQ(*id, 2);
  // The working dir in any spelling of the same path.
  id = IdentifyHost(HostAddressesOf(IdentityConf()), "/c/./x/../host2/", &local, "hosts.conf");
  ASSERT_OK(id);
  EXPECT_EQ(*id, 2);
}

TEST(IdentifyHost, SeveralHostsOfOneMachine) {
  HostsConf conf = IdentityConf();
  for (HostEntry& h : conf.hosts) h.ip1 = h.ip2 = "127.0.0.1";
  FixedLocalHost local({"127.0.0.1"});
  for (int i = 0; i < 4; i++) {
    auto id = IdentifyHost(HostAddressesOf(conf), "/c/host" + std::to_string(i), &local, "h");
    ASSERT_OK(id);
    EXPECT_EQ(*id, i);
  }
}

TEST(IdentifyHost, OneWorkdirOnTwoAddresses) {
  // Issue 16: hosts 0 and 1 share a working dir on two machines; the address tells them apart.
  HostsConf conf = IdentityConf();
  conf.hosts[1].workdir = conf.hosts[0].workdir;
  FixedLocalHost second({"127.0.0.1", "10.0.0.2"});
  auto id = IdentifyHost(HostAddressesOf(conf), "/c/host0", &second, "hosts.conf");
  ASSERT_OK(id);
  EXPECT_EQ(*id, 1);
}

TEST(IdentifyHost, NoMatchListsCandidates) {
  FixedLocalHost local({"127.0.0.1", "10.0.0.3"});
  auto id = IdentifyHost(HostAddressesOf(IdentityConf()), "/c/host1", &local, "hosts.conf");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(id.status().exit_status(), 3);
  const std::string& m = id.status().message();
  EXPECT_NE(m.find("host 2 (10.0.0.3 /c/host2)"), std::string::npos) << m;  // by address
  EXPECT_NE(m.find("host 1 (10.0.0.2 /c/host1)"), std::string::npos) << m;  // by working dir
  EXPECT_NE(m.find("--host-id"), std::string::npos) << m;
  FixedLocalHost elsewhere({"192.168.1.1"});
  EXPECT_EQ(
      IdentifyHost(HostAddressesOf(IdentityConf()), "/c/host1", &elsewhere, "h").status().code(),
      ErrorCode::kFailedPrecondition);
}

TEST(IdentifyHost, AmbiguousIsExit3) {
  HostsConf conf = IdentityConf();
  conf.hosts[3].ip1 = conf.hosts[3].ip2 = "10.0.0.2";
  conf.hosts[3].workdir = "/c/host1";
  FixedLocalHost local({"10.0.0.2"});
  auto id = IdentifyHost(HostAddressesOf(conf), "/c/host1", &local, "hosts.conf");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().exit_status(), 3);
  EXPECT_NE(id.status().message().find("ambiguous"), std::string::npos);
  EXPECT_NE(id.status().message().find("host 3"), std::string::npos);
}

TEST(IdentifyHost, InitWithoutHostId) {
  MemFileSystem fs;
  testing::FixtureOptions o;
  o.host_id = 3;
  o.init = false;
  auto f = testing::MakeFixtureF(&fs, o);
  ASSERT_OK(f);
  FixedLocalHost local({"127.0.0.1", "10.0.0.4"});
  AdminOptions admin;
  admin.local = &local;
  admin.uuids = CountingUuidGenerator(5);
  auto r = RunInit(&fs, f->workdir, InitArgs{}, admin);
  ASSERT_OK(r);
  EXPECT_EQ(r->catalog.this_host, 3);
  // --host-id overrides (a mirror of the same shard may take over).
  InitArgs args;
  args.host_id = 1;
  r = RunInit(&fs, f->workdir, args, admin);
  ASSERT_OK(r);
  EXPECT_EQ(r->catalog.this_host, 1);
  // A new catalog on a machine that is no host: exit 3.
  MemFileSystem fs2;
  ASSERT_OK(testing::MakeFixtureF(&fs2, o));
  FixedLocalHost none({"127.0.0.1"});
  admin.local = &none;
  auto r2 = RunInit(&fs2, f->workdir, InitArgs{}, admin);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().exit_status(), 3);
}

TEST(LexicalPath, Forms) {
  EXPECT_EQ(LexicalPath("/a/./b//c/../"), "/a/b");
  EXPECT_EQ(LexicalPath("/"), "/");
  EXPECT_EQ(LexicalPath("x/y", "/w"), "/w/x/y");
  EXPECT_EQ(LexicalPath("/.."), "/");
}

}  // namespace
}  // namespace shardtool
