// shardtool's JSON state files hold only integers. A number that is not one (a float, or an
// integer too big for 64 bits, which nlohmann stores as a float) used to reach get<int64_t>(): a
// cast of an out-of-range float, undefined behaviour that the lease and journal fuzzers found
// ({"pid": 4.14e37}). Every state parser must now refuse it as corrupt, whichever number it is.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "acquire/lease.h"
#include "acquire/stash_journal.h"
#include "catalog/retired_files.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/merge/merge_journal.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

std::string Corpus(const std::string& target, const std::string& name) {
  std::ifstream in(std::string(SHARDTOOL_SOURCE_DIR) + "/tests/fuzz/corpus/" + target + "/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every variant of `text` with one of its integer members replaced by `number`.
std::vector<std::string> WithEachIntegerReplaced(const std::string& text,
                                                 const std::string& number) {
  std::vector<std::string> out;
  const std::regex member(R"(("[A-Za-z_]+"\s*:\s*)(-?[0-9]+)(?=\s*[,}\n]))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), member);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    const size_t at = static_cast<size_t>(m.position(2));
    out.push_back(text.substr(0, at) + number + text.substr(at + static_cast<size_t>(m.length(2))));
  }
  return out;
}

struct Parser {
  std::string corpus_target, seed;
  size_t skip;  // leading bytes of the seed that are not JSON (the journal target's selector)
  std::function<Status(std::string_view)> parse;
};

TEST(StateJson, NumbersThatAreNotIntegersAreCorruptInEveryStateFile) {
  const std::vector<Parser> parsers = {
      {"lease", "reader.json", 0,
       [](std::string_view t) { return ParseLease(t, "lease.json").status(); }},
      {"lease", "stashed_all.json", 0,
       [](std::string_view t) { return ParseLease(t, "lease.json").status(); }},
      {"journal", "merge_incorporating", 1,
       [](std::string_view t) { return ParseMergeJournal(t, "merge.json").status(); }},
      {"journal", "retired", 1,
       [](std::string_view t) { return ParseRetiredList(t, "retired.json").status(); }},
      {"bundle_manifest", "posdb_orphans.json", 0,
       [](std::string_view t) { return ParseBundleManifest(t, "manifest.json").status(); }},
  };
  for (const Parser& p : parsers) {
    SCOPED_TRACE(p.corpus_target + "/" + p.seed);
    const std::string seed = Corpus(p.corpus_target, p.seed).substr(p.skip);
    ASSERT_OK(p.parse(seed));
    int variants = 0;
    for (const char* number :
         {"4.14e37", "-1.7976931348623157e308", "2.5", "41400000000007463313367322241706769670"}) {
      for (const std::string& text : WithEachIntegerReplaced(seed, number)) {
        const Status s = p.parse(text);
        EXPECT_FALSE(s.ok()) << number << " accepted in\n" << text;
        if (!s.ok()) {
          EXPECT_EQ(s.exit_status(), 8) << s.ToString();
        }
        variants++;
      }
    }
    EXPECT_GE(variants, 4 * 2) << "the seed has too few integer members";
  }
}

}  // namespace
}  // namespace shardtool
