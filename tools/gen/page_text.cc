#include "gen/page_text.h"

#include <vector>

namespace shardtool::gen {
namespace {

uint64_t Next(uint64_t* s) {
  uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> w;
    const char* consonants = "bcdfghklmnprstvwz";
    const char* vowels = "aeiou";
    uint64_t s = 12345;
    for (int i = 0; i < 4000; i++) {
      std::string word;
      const int syllables = 1 + static_cast<int>(Next(&s) % 3);
      for (int k = 0; k < syllables; k++) {
        word += consonants[Next(&s) % 17];
        word += vowels[Next(&s) % 5];
      }
      w.push_back(word);
    }
    return w;
  }();
  return words;
}

}  // namespace

std::string MakePageText(uint64_t seed, uint64_t variant, int avg_bytes) {
  uint64_t s = seed * 1000003 + variant;
  const auto& words = Words();
  auto word = [&]() -> const std::string& {
    const double u = static_cast<double>(Next(&s) >> 11) / 9007199254740992.0;
    return words[static_cast<size_t>(u * u * static_cast<double>(words.size()))];
  };
  const size_t target =
      static_cast<size_t>(avg_bytes / 2) + Next(&s) % static_cast<uint64_t>(avg_bytes + 1);
  std::string page = "<html><head><title>";
  for (int i = 0; i < 5; i++) page += word() + " ";
  page += "</title></head>\n<body>\n";
  while (page.size() < target) {
    page += (Next(&s) % 4 == 0) ? "<h2>" : "<p>";
    const int n = 8 + static_cast<int>(Next(&s) % 40);
    for (int i = 0; i < n; i++) {
      if (Next(&s) % 23 == 0) {
        page += "<a href=\"http://" + word() + ".example/" + word() + ".html\">" + word() + "</a> ";
      } else {
        page += word() + " ";
      }
    }
    page += "</p>\n";
  }
  page += "</body></html>\n";
  return page;
}

}  // namespace shardtool::gen
