#include "format/finding.h"

namespace shardtool {

std::string Finding::ToString() const {
  std::string s = file;
  if (offset >= 0) s += ": offset " + std::to_string(offset);
  if (page >= 0)
    s += (offset >= 0 ? " (page " : ": page ") + std::to_string(page) + (offset >= 0 ? ")" : "");
  if (!key.empty()) s += ": key 0x" + key;
  s += ": " + message + " (" + rule + ")";
  return s;
}

const char* SeverityName(Severity s) { return s == Severity::kError ? "error" : "notice"; }

void AddFinding(std::vector<Finding>* out, std::string rule, Severity sev, std::string file,
                int64_t offset, int64_t page, std::string key, std::string message) {
  out->push_back(Finding{std::move(rule), sev, std::move(file), offset, page, std::move(key),
                         std::move(message)});
}

}  // namespace shardtool
