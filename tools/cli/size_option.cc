#include "cli/size_option.h"

#include <stdexcept>

namespace shardtool {
namespace {

// The multiplier of a unit ("", "B", "K", "Ki", "KB", "KiB", "kib", ...); 0 when it is none.
// `unit` is left without its "i" and "B".
double UnitMultiplier(std::string& unit) {
  if (unit.size() > 1 && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() > 1 && unit.back() == 'i') unit.pop_back();
  if (unit.empty() || unit == "B") return 1;
  if (unit.size() != 1) return 0;
  double mult = 1;
  for (char u : {'K', 'M', 'G', 'T'}) {
    mult *= 1024;
    if (unit[0] == u || unit[0] == u - 'A' + 'a') return mult;
  }
  return 0;
}

std::string SizeText(uint64_t bytes) {
  if (bytes > 0 && bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + "M";
  return std::to_string(bytes);
}

}  // namespace

Result<uint64_t> ParseSizeOption(const std::string& flag, const std::string& text,
                                 const std::string& example, uint64_t min_bytes) {
  size_t end = 0;
  double v = 0;
  try {
    v = std::stod(text, &end);
  } catch (const std::exception&) {
    return UsageErrorStatus(flag + " " + text + ": not a size (e.g. " + example + ")");
  }
  std::string unit = text.substr(end);
  const double mult = UnitMultiplier(unit);
  if (mult == 0) return UsageErrorStatus(flag + " " + text + ": unknown unit '" + unit + "'");
  const double bytes = v * mult;
  if (min_bytes == 0 && !(bytes > 0)) {
    return UsageErrorStatus(flag + " " + text + ": must be positive");
  }
  if (min_bytes > 0 && !(bytes >= static_cast<double>(min_bytes))) {
    return UsageErrorStatus(flag + " " + text + ": at least " + SizeText(min_bytes));
  }
  return static_cast<uint64_t>(bytes);
}

}  // namespace shardtool
