// Finding: one located observation about a file, tagged with a doc/format.md rule id. Checks
// produce findings instead of stopping, so a scan reports everything it can (doc/architecture.md
// §4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shardtool {

enum class Severity { kError, kNotice };

struct Finding {
  std::string rule;  // "L4", "M7", "C4", ...
  Severity severity = Severity::kError;
  std::string file;     // path as the caller named it (relative to the working dir in reports)
  int64_t offset = -1;  // logical byte offset in the data file, or in the file the rule is about
  int64_t page = -1;
  std::string key;  // hex, most significant byte first; empty if none
  std::string message;

  // "posdb0003.dat: offset 1048576 (page 32): key 0x..: out of order (L4)"
  std::string ToString() const;
};

const char* SeverityName(Severity s);  // "error" / "notice"

// Appends a finding; convenience for checkers.
void AddFinding(std::vector<Finding>* out, std::string rule, Severity sev, std::string file,
                int64_t offset, int64_t page, std::string key, std::string message);

}  // namespace shardtool
