#include "format/hosts_conf.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "testing/paths.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

std::string CorpusDir() { return testing::SourceDir() + "/tests/fuzz/corpus/hosts_conf"; }

std::string ReadCorpus(const std::string& name) {
  std::ifstream in(CorpusDir() + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

HostsConf MustParseHosts(std::string_view text) {
  Result<HostsConf> r = ParseHostsConf(text, "hosts.conf");
  EXPECT_OK(r);
  return r.ok() ? *r : HostsConf{};
}

// Expects a Corruption naming the rule (and the line, when given); returns the message.
std::string ExpectHostsRule(std::string_view text, const std::string& rule, int line = 0) {
  Result<HostsConf> r = ParseHostsConf(text, "hosts.conf");
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("(" + rule + ")"), std::string::npos) << m;
  EXPECT_EQ(m.rfind("hosts.conf: ", 0), 0u) << m;
  if (line > 0) {
    EXPECT_NE(m.find("line " + std::to_string(line) + ":"), std::string::npos) << m;
  }
  return m;
}

const char kHost0[] = "0 5998 7000 8000 9000 10.0.0.1 10.0.0.1 /d\n";

TEST(HostsConf, FourHostsOneMirror) {
  HostsConf c = MustParseHosts(ReadCorpus("four_hosts_one_mirror.conf"));
  EXPECT_EQ(c.num_shards, 2);
  EXPECT_EQ(c.num_mirrors, 1);
  EXPECT_EQ(c.working_dir, "/var/gigablast/data0");
  ASSERT_EQ(c.hosts.size(), 4u);
  for (int i = 0; i < 4; i++) {
    const HostEntry& h = c.hosts[i];
    EXPECT_EQ(h.id, i);
    EXPECT_EQ(h.shard, i % 2);
    EXPECT_EQ(h.dns_port, 5998);
    EXPECT_EQ(h.https_port, 7000);
    EXPECT_EQ(h.http_port, 8000);
    EXPECT_EQ(h.udp_port, 9000);
    EXPECT_EQ(h.ip1, "10.0.0." + std::to_string(i + 1));
    EXPECT_EQ(h.ip2, "10.0.1." + std::to_string(i + 1));
    EXPECT_EQ(h.line, 5 + i);
    EXPECT_EQ(h.workdir, i == 2 ? "/var/gigablast/data1" : "/var/gigablast/data0");
    EXPECT_EQ(h.note, "");
  }
}

TEST(HostsConf, IndexSplitsForm) {
  HostsConf c = MustParseHosts(ReadCorpus("index_splits.conf"));
  EXPECT_EQ(c.num_shards, 3);
  EXPECT_EQ(c.num_mirrors, 1);
  ASSERT_EQ(c.hosts.size(), 6u);
  EXPECT_EQ(c.hosts[0].workdir, "/home/gb/host0");
  EXPECT_EQ(c.hosts[3].workdir, "/home/gb");
  EXPECT_EQ(c.hosts[4].ip1, "gk4");
  EXPECT_EQ(c.hosts[4].ip2, "gki4");
  EXPECT_EQ(c.hosts[5].dns_port, 6005);
  EXPECT_EQ(c.hosts[5].shard, 2);
  EXPECT_EQ(c.hosts[3].shard, 0);  // the second block mirrors the first
}

TEST(HostsConf, CommentsSparesProxiesNotesAndDefaults) {
  HostsConf c = MustParseHosts(ReadCorpus("comments_and_spares.conf"));
  EXPECT_EQ(c.num_shards, 3);
  EXPECT_EQ(c.num_mirrors, 0);
  EXPECT_EQ(c.working_dir, "/data/gb");
  ASSERT_EQ(c.hosts.size(), 3u);
  EXPECT_EQ(c.hosts[0].workdir, "/data/gb/h0");
  EXPECT_EQ(c.hosts[0].note, "noquery nospider");
  EXPECT_EQ(c.hosts[1].ip2, "127.0.0.1");  // ip2 defaults to ip1
  EXPECT_EQ(c.hosts[1].workdir, "/data/gb");
  EXPECT_EQ(c.hosts[2].ip1, "localhost");
  EXPECT_EQ(c.hosts[2].ip2, "retired");
  EXPECT_EQ(c.hosts[2].note, "");  // "# spider only" is a comment
  for (int i = 0; i < 3; i++) EXPECT_EQ(c.hosts[i].shard, i);
}

TEST(HostsConf, CrlfAndThreeCopies) {
  HostsConf one = MustParseHosts(ReadCorpus("single_host_crlf.conf"));
  EXPECT_EQ(one.num_shards, 1);
  ASSERT_EQ(one.hosts.size(), 1u);
  EXPECT_EQ(one.hosts[0].workdir, "/home/user/gigablast");
  HostsConf three = MustParseHosts(ReadCorpus("three_copies.conf"));
  EXPECT_EQ(three.num_shards, 2);
  EXPECT_EQ(three.num_mirrors, 2);
  EXPECT_EQ(three.hosts[4].shard, 0);
  EXPECT_EQ(three.hosts[5].shard, 1);
}

TEST(HostsConf, MirrorsAndSplits) {
  // num-mirrors wins over index-splits (as GB).
  HostsConf c = MustParseHosts(std::string("index-splits: 4\nnum-mirrors: 1\n") + kHost0 +
                               "1 1 2 3 4 a b /d\n2 1 2 3 4 a b /d\n3 1 2 3 4 a b /d\n");
  EXPECT_EQ(c.num_shards, 2);
  EXPECT_EQ(c.num_mirrors, 1);
  // num_mirrors is the effective count: 8 grunts with num-mirrors: 2 give 2 shards of 4 hosts.
  std::string eight = "num-mirrors: 2\n";
  for (int i = 0; i < 8; i++) eight += std::to_string(i) + " 1 2 3 4 a b /d\n";
  HostsConf e = MustParseHosts(eight);
  EXPECT_EQ(e.num_shards, 2);
  EXPECT_EQ(e.num_mirrors, 3);
  // A later directive overrides an earlier one.
  HostsConf d = MustParseHosts(std::string("num-mirrors: 5\nnum-mirrors: 0\n") + kHost0);
  EXPECT_EQ(d.num_shards, 1);
}

TEST(HostsConf, WorkDirNormalisation) {
  EXPECT_EQ(MustParseHosts(std::string("num-mirrors: 0\n0 1 2 3 4 a b /a/b/\n")).hosts[0].workdir,
            "/a/b");
  EXPECT_EQ(MustParseHosts(std::string("num-mirrors: 0\n0 1 2 3 4 a b /a/b//\n")).hosts[0].workdir,
            "/a/b");
  EXPECT_EQ(MustParseHosts(std::string("num-mirrors: 0\n0 1 2 3 4 a b /\n")).hosts[0].workdir, "/");
  EXPECT_EQ(MustParseHosts(std::string("num-mirrors: 0\n0 1 2 3 4 a b //\n")).hosts[0].workdir,
            "/");
  // 126 characters plus GB's trailing '/' is the longest.
  std::string dir126 = "/" + std::string(125, 'x');
  EXPECT_EQ(MustParseHosts("num-mirrors: 0\n0 1 2 3 4 a b " + dir126 + "/\n").hosts[0].workdir,
            dir126);
  EXPECT_EQ(MustParseHosts("num-mirrors: 0\nworking-dir: " + dir126 + "\n0 1 2 3 4 a b\n")
                .hosts[0]
                .workdir,
            dir126);
}

TEST(HostsConf, H1BadLines) {
  ExpectHostsRule(std::string("num-mirrors: 0\n") + kHost0 + "hello world\n", "H1", 3);
  ExpectHostsRule(std::string("num-mirrors: 0\nPort-Offset: 3\n") + kHost0, "H1", 2);
  ExpectHostsRule("num-mirrors: abc\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("num-mirrors: -1\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("num-mirrors:\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("num-mirrors: 1 2\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("index-splits: 1x\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("num-mirrors: 9999999999\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("working-dir:\nnum-mirrors: 0\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("working-dir: /a /b\nnum-mirrors: 0\n" + std::string(kHost0), "H1", 1);
  ExpectHostsRule("num-mirrors: 0\n0 5998 7000 8000 9000\n", "H1", 2);                  // no ip
  ExpectHostsRule("num-mirrors: 0\n0 5998 7000 8000 10.0.0.1 10.0.0.1 /d\n", "H1", 2);  // 3 ports
  ExpectHostsRule("num-mirrors: 0\n0x 1 2 3 4 a b /d\n", "H1", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 65536 a b /d\n", "H1", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 -3 4 a b /d\n", "H1", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 host-1 b /d\n", "H1", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a host_2 /d\n", "H1", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 abcdefghijklmnop b /d\n", "H1", 2);  // 16 characters
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a abcdefghijklmnop /d\n", "H1", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 /d\n", "H1", 2);
  ExpectHostsRule(std::string("num-mirrors: 0\n") + kHost0 + "\x01\n", "H1", 3);
  // 15 characters is fine.
  EXPECT_EQ(MustParseHosts("num-mirrors: 0\n0 1 2 3 4 abcdefghijklmno b /d\n").hosts[0].ip1,
            "abcdefghijklmno");
}

TEST(HostsConf, H2ShardCount) {
  ExpectHostsRule(kHost0, "H2");
  ExpectHostsRule("# nothing\n", "H2");
  ExpectHostsRule("", "H2");
  ExpectHostsRule("num-mirrors: 0\n", "H2");   // no grunts
  ExpectHostsRule("index-splits: 3\n", "H2");  // no grunts: GB's numMirrors would be -1
  ExpectHostsRule("index-splits: 3\nspare 1 2 3 4 a b /d\n", "H2");
  ExpectHostsRule(std::string("index-splits: 0\n") + kHost0, "H2");
  ExpectHostsRule(std::string("num-mirrors: 1\n") + kHost0, "H2");  // 1 grunt / 2 = 0 shards
  ExpectHostsRule(std::string("num-mirrors: 999999999\n") + kHost0, "H2");
  std::string m = ExpectHostsRule(std::string("num-mirrors: 4\n") + kHost0, "H2");
  EXPECT_EQ(m.find("line"), std::string::npos) << m;  // a file-level rule has no line
}

TEST(HostsConf, H3HostsNotAMultiple) {
  std::string five = "num-mirrors: 1\n";
  for (int i = 0; i < 5; i++) five += std::to_string(i) + " 1 2 3 4 a b /d\n";
  std::string m = ExpectHostsRule(five, "H3");
  EXPECT_NE(m.find("5 hosts"), std::string::npos) << m;
  std::string six = "index-splits: 4\n";
  for (int i = 0; i < 6; i++) six += std::to_string(i) + " 1 2 3 4 a b /d\n";
  ExpectHostsRule(six, "H3");
  std::string seven = "num-mirrors: 2\n";
  for (int i = 0; i < 7; i++) seven += std::to_string(i) + " 1 2 3 4 a b /d\n";
  ExpectHostsRule(seven, "H3");
}

TEST(HostsConf, H4WorkDirs) {
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b\n", "H4", 2);  // none at all
  // working-dir: applies only to the lines after it, as in GB.
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b\nworking-dir: /d\n", "H4", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b data/gb\n", "H4", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b noquery\n", "H4", 2);
  ExpectHostsRule("num-mirrors: 0\nworking-dir: data/gb\n0 1 2 3 4 a b\n", "H4", 3);
  // A relative working-dir: nobody uses is harmless.
  EXPECT_EQ(MustParseHosts("num-mirrors: 0\nworking-dir: rel\n0 1 2 3 4 a b /abs\n").working_dir,
            "rel");
  std::string dir127 = "/" + std::string(126, 'x');
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b " + dir127 + "\n", "H4", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b " + dir127 + "/\n", "H4", 2);
  ExpectHostsRule("num-mirrors: 0\nworking-dir: " + dir127 + "\n0 1 2 3 4 a b\n", "H4", 3);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b /" + std::string(125, 'x') + "//\n", "H4", 2);
}

TEST(HostsConf, H5HostIdOrder) {
  ExpectHostsRule("num-mirrors: 0\n1 1 2 3 4 a b /d\n", "H5", 2);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b /d\n2 1 2 3 4 a b /d\n", "H5", 3);
  ExpectHostsRule("num-mirrors: 0\n0 1 2 3 4 a b /d\n0 1 2 3 4 a b /d\n", "H5", 3);
  // Spares and proxies do not take grunt numbers.
  EXPECT_EQ(
      MustParseHosts("num-mirrors: 0\n0 1 2 3 4 a b /d\nspare 1 2 3 4 a b /d\n1 1 2 3 4 a b /d\n")
          .hosts.size(),
      2u);
}

TEST(HostsConf, FormatRoundTrips) {
  for (const auto& entry : std::filesystem::directory_iterator(CorpusDir())) {
    SCOPED_TRACE(entry.path().filename().string());
    HostsConf c = MustParseHosts(ReadCorpus(entry.path().filename().string()));
    std::string text = FormatHostsConf(c);
    HostsConf back = MustParseHosts(text);
    EXPECT_EQ(back, c);
    EXPECT_EQ(FormatHostsConf(back), text);
  }
  // A conf built in code (the sample cluster generator's way).
  HostsConf g;
  g.num_shards = 3;
  g.num_mirrors = 1;
  for (int i = 0; i < 6; i++) {
    HostEntry h;
    h.id = i;
    h.shard = i % 3;
    h.dns_port = 5998;
    h.https_port = 7000 + i;
    h.http_port = 8000 + i;
    h.udp_port = 9000 + i;
    h.ip1 = h.ip2 = "127.0.0.1";
    h.workdir = "/tmp/cluster/host" + std::to_string(i);
    g.hosts.push_back(h);
  }
  std::string text = FormatHostsConf(g);
  EXPECT_NE(text.find("num-mirrors: 1\n"), std::string::npos);
  EXPECT_NE(text.find("\n5 5998 7005 8005 9005 127.0.0.1 127.0.0.1 /tmp/cluster/host5\n"),
            std::string::npos)
      << text;
  HostsConf back = MustParseHosts(text);
  EXPECT_EQ(back, g);
  EXPECT_EQ(back.hosts[5].line, 9);  // line numbers are kept but not compared
}

TEST(HostsConf, MalformedInputNeverCrashes) {
  std::mt19937 rng(5);
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(CorpusDir())) {
    seeds.push_back(ReadCorpus(entry.path().filename().string()));
  }
  const std::string alphabet = "0123456789 \t\n#/:-.abcxyzSPAREproxy";
  for (int i = 0; i < 5000; i++) {
    std::string t = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int j = 0; j < edits && !t.empty(); j++) {
      size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0:
          t[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          t.erase(at, 1 + rng() % 8);
          break;
        default:
          t.insert(at, 1, static_cast<char>(rng()));
      }
    }
    Result<HostsConf> r = ParseHostsConf(t, "fuzz.conf");
    if (r.ok()) {
      EXPECT_GE(r->num_shards, 1);
      EXPECT_EQ(MustParseHosts(FormatHostsConf(*r)), *r);
    } else {
      EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace shardtool
