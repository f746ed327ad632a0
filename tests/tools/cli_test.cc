// The CLI driven in-process through shardtool::Main with argv arrays (doc/conventions.md rule 11).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.h"
#include "cli/shardtool_main.h"
#include "testing/golden_files.h"
#include "testing/paths.h"

namespace shardtool {
namespace {

struct CliRun {
  int code;
  std::string out, err;
};

CliRun Shardtool(std::vector<std::string> args) {
  std::vector<const char*> argv = {"shardtool"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Context ctx;
  ctx.fs = PosixFS();
  ctx.out = &out;
  ctx.err = &err;
  int code = Main(static_cast<int>(argv.size()), argv.data(), ctx);
  return {code, out.str(), err.str()};
}

std::string Golden(const std::string& name) {
  return testing::GoldenDir() + "/coll.main.0/" + name;
}

// (key hex, negative) of every record line of a Gigablast dump that has "k=0x".
std::vector<std::pair<std::string, bool>> DumpKeys(const std::string& dump) {
  EXPECT_TRUE(testing::GoldenFileExists(testing::GoldenPath("dumps/" + dump)));
  std::ifstream in(testing::GoldenPath("dumps/" + dump));
  std::vector<std::pair<std::string, bool>> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("k=0x", 0) != 0) continue;
    const std::string hex = line.substr(4, line.find(' ') - 4);
    const bool neg = line.find("(delete)") != std::string::npos;
    keys.emplace_back(hex, neg);
  }
  return keys;
}

TEST(Cli, InspectRecordsAgreesWithGigablastDumpPosdb) {
  ASSERT_GOLDEN_FILE(Golden("posdb0003.dat"));
  ASSERT_GOLDEN_FILE(testing::GoldenPath("dumps/dump_p_posdb0003.txt"));
  CliRun r = Shardtool({"--json", "inspect", "records", Golden("posdb0003.dat")});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  auto want = DumpKeys("dump_p_posdb0003.txt");
  ASSERT_EQ(want.size(), 1372u + 3711u);
  ASSERT_EQ(j["records"].size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    ASSERT_EQ(j["records"][i]["key"], want[i].first) << "record " << i;
    ASSERT_EQ(j["records"][i]["negative"], want[i].second) << "record " << i;
  }
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["rdb"], "posdb");
}

TEST(Cli, InspectRecordsAgreesWithGigablastDumpLinkdb) {
  ASSERT_GOLDEN_FILE(Golden("linkdb0007.dat"));
  ASSERT_GOLDEN_FILE(testing::GoldenPath("dumps/dump_L_linkdb0007.txt"));
  CliRun r = Shardtool({"--json", "inspect", "records", Golden("linkdb0007.dat")});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto want = DumpKeys("dump_L_linkdb0007.txt");
  ASSERT_EQ(want.size(), 24u);
  ASSERT_EQ(j["records"].size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(j["records"][i]["key"], want[i].first);
    EXPECT_EQ(j["records"][i]["negative"], want[i].second);
  }
}

TEST(Cli, InspectRecordsTitledbFieldsMatchDump) {
  ASSERT_GOLDEN_FILE(Golden("titledb0003-000.dat"));
  CliRun r = Shardtool({"--json", "inspect", "records", Golden("titledb0003-000.dat")});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["records"].size(), 3u);
  // From dump_t_titledb0003-000.txt: docIds in file order, the first positive.
  const uint64_t docids[] = {41029786537ULL, 42521303991ULL, 53556731044ULL};
  for (int i = 0; i < 3; i++) EXPECT_EQ(j["records"][i]["fields"]["docid"], docids[i]);
  EXPECT_EQ(j["records"][0]["negative"], false);
  EXPECT_EQ(j["records"][1]["negative"], true);
  EXPECT_EQ(j["records"][1]["data_size"], 0);
  EXPECT_EQ(j["records"][0]["key"], "2636436ea5e826364373a401");
}

TEST(Cli, InspectRecordsRangeThroughMap) {
  ASSERT_GOLDEN_FILE(Golden("posdb0003.dat"));
  ASSERT_GOLDEN_FILE(testing::GoldenPath("dumps/dump_p_posdb0003.txt"));
  auto want = DumpKeys("dump_p_posdb0003.txt");
  const std::string a = want[1000].first, b = want[3000].first;
  CliRun r = Shardtool(
      {"--json", "inspect", "records", Golden("posdb0003.dat"), "--start", a, "--end", b});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  // Every dump key in [a, b] (hex of equal length compares like the integers).
  size_t n = 0;
  for (auto& k : want) n += (k.first >= a && k.first <= b);
  EXPECT_EQ(j["records"].size(), n);
  EXPECT_EQ(j["records"][0]["key"], a);
  CliRun lim = Shardtool({"--json", "inspect", "records", Golden("posdb0003.dat"), "--limit", "7"});
  EXPECT_EQ(nlohmann::json::parse(lim.out)["records"].size(), 7u);
}

TEST(Cli, InspectMapJsonMatchesReadme) {
  ASSERT_GOLDEN_FILE(Golden("posdb0003.map"));
  ASSERT_GOLDEN_FILE(testing::GoldenPath("dumps/dump_p_posdb0003.txt"));
  CliRun r = Shardtool({"--json", "inspect", "map", Golden("posdb0003.map"), "--pages"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["positive"], 1372);
  EXPECT_EQ(j["negative"], 3711);
  EXPECT_EQ(j["end_offset"], 77802);
  EXPECT_EQ(j["page_size"], 32768);
  EXPECT_EQ(j["pages"].size(), 3u);
  EXPECT_EQ(j["last_key"], DumpKeys("dump_p_posdb0003.txt").back().first);
}

TEST(Cli, InspectFileCleanGoldenHasNoErrorFindings) {
  for (const char* f : {"posdb0003.dat", "titledb0003-000.dat", "linkdb0007.dat",
                        "clusterdb0001.dat", "tagdb0001.dat"}) {
    ASSERT_GOLDEN_FILE(Golden(f));
    CliRun r = Shardtool({"--json", "inspect", "file", Golden(f)});
    ASSERT_EQ(r.code, 0) << f << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_FALSE(j["map"].is_null()) << f;
    for (auto& fd : j["findings"]) EXPECT_NE(fd["severity"], "error") << f << ": " << fd.dump();
  }
}

TEST(Cli, UsageErrorsExit2AndNotFoundExit3) {
  ASSERT_GOLDEN_FILE(Golden("posdb0003.dat"));
  EXPECT_EQ(Shardtool({}).code, 2);
  EXPECT_EQ(Shardtool({"nosuchcommand"}).code, 2);
  EXPECT_EQ(Shardtool({"inspect", "records", Golden("posdb0003.dat"), "--start", "xyz"}).code, 2);
  EXPECT_EQ(Shardtool({"inspect", "file", Golden("posdb0003.dat"), "--rdb", "nosuchdb"}).code, 2);
  CliRun nf = Shardtool({"inspect", "file", "/nonexistent/posdb0001.dat"});
  EXPECT_EQ(nf.code, 3);
  EXPECT_NE(nf.err.find("error: NotFound:"), std::string::npos) << nf.err;
  CliRun js = Shardtool({"--json", "inspect", "file", "/nonexistent/posdb0001.dat"});
  auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["error"]["name"], "NotFound");
  EXPECT_EQ(j["error"]["code"], 3);
}

TEST(Cli, HelpExitsZero) {
  CliRun r = Shardtool({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("inspect"), std::string::npos);
  EXPECT_EQ(Shardtool({"inspect", "records", "--help"}).code, 0);
}

// Every long option of every command (and the global ones) appears in its man page.
std::string ReadMan(const std::string& name) {
  std::ifstream in(testing::SourceDir() + "/man/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  // groff escapes: "\-" is "-". (No std::regex: GCC 12 warns inside it under ASan at -O1.)
  std::string plain;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '-') continue;
    plain += s[i];
  }
  return plain;
}

void CheckOptions(CLI::App* app, const std::string& man, const std::string& page) {
  for (const CLI::Option* opt : app->get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      if (name == "help") continue;
      EXPECT_NE(man.find("--" + name), std::string::npos)
          << "--" << name << " is missing from " << page;
    }
  }
  for (CLI::App* sub : app->get_subcommands({})) CheckOptions(sub, man, page);
}

TEST(Cli, HelpAndManPagesAgree) {
  CLI::App app;
  GlobalOptions g;
  CommandRun run;
  BuildApp(&app, &g, &run);
  const std::string main_page = ReadMan("shardtool.1");
  ASSERT_FALSE(main_page.empty());
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      EXPECT_NE(main_page.find("--" + name), std::string::npos)
          << "--" << name << " missing from shardtool.1";
    }
  }
  for (CLI::App* sub : app.get_subcommands({})) {
    const std::string page = "shardtool-" + sub->get_name() + ".1";
    const std::string man = ReadMan(page);
    ASSERT_FALSE(man.empty()) << page << " is missing";
    EXPECT_NE(main_page.find(sub->get_name()), std::string::npos);
    CheckOptions(sub, man, page);
    // Subcommands (inspect db, catalog show, ...) are described on the command's page.
    for (CLI::App* subsub : sub->get_subcommands({})) {
      EXPECT_NE(man.find(subsub->get_name()), std::string::npos)
          << sub->get_name() << " " << subsub->get_name() << " is missing from " << page;
    }
  }
}

// Every page in man/ is listed in shardtool(1)'s SEE ALSO (and so installed and findable), and the
// file-format page exists.
TEST(Cli, EveryManPageIsListedInSeeAlso) {
  const std::string main_page = ReadMan("shardtool.1");
  const size_t see_also = main_page.find(".SH SEE ALSO");
  ASSERT_NE(see_also, std::string::npos);
  const std::string listed = main_page.substr(see_also);
  int pages = 0;
  for (const auto& e : std::filesystem::directory_iterator(testing::SourceDir() + "/man")) {
    const std::string name = e.path().filename().string();
    if (name == "shardtool.1") continue;
    const std::string stem = name.substr(0, name.rfind('.'));
    const std::string section = name.substr(name.rfind('.') + 1);
    EXPECT_NE(listed.find(".BR " + stem + " (" + section + ")"), std::string::npos)
        << name << " is not in the SEE ALSO of shardtool.1";
    pages++;
  }
  EXPECT_GE(pages, 7);
  EXPECT_FALSE(ReadMan("shardtool-format.5").empty());
}

}  // namespace
}  // namespace shardtool
