// Text rendering helpers for people (doc/conventions.md rule 12): sizes in KiB/MiB, aligned tables.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace shardtool {

// How a command's report is shown: the global options that matter to its renderer.
struct ReportStyle {
  std::string workdir = ".";
  bool quiet = false;
  int verbose = 0;
  // A path inside workdir relative to it (doc/architecture.md §9); any other path as it is.
  std::string ShowPath(const std::string& path) const;
};

// "77802 B", "1.5 KiB", "1920.0 MiB", "2.0 GiB".
std::string HumanBytes(uint64_t bytes);
// "1.2 s", "350 ms", "2 m 05 s".
std::string HumanDuration(double seconds);

// A table printed with columns padded to their widest cell; numeric-looking cells right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace shardtool
