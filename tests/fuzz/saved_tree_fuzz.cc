// libFuzzer target for Gigablast's saved in-memory trees (format/saved_tree.h). Input: byte 0
// picks the form (bit 0: RdbTree or RdbBuckets) and the key size (12, 16, 18 or 28), byte 1
// whether the Rdb's data size form is enforced; the rest is the file. Parsing never crashes,
// never reads or reports past the end, accounts for no more bytes than there are, and a file it
// calls completely decoded has no V1 or V3.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "format/saved_tree.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardtool;
  if (size < 2) return 0;
  const SavedTreeKind kind = (data[0] & 1) ? SavedTreeKind::kBuckets : SavedTreeKind::kTree;
  constexpr int kSizes[] = {12, 16, 18, 28};
  const int ks = kSizes[(data[0] >> 1) % 4];
  const int32_t fixed = data[1] % 3 == 0 ? kAnyFixedDataSize : (data[1] % 3 == 1 ? 0 : -1);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  SavedTree t = ParseSavedTree(bytes, kind, ks, "fuzz-saved.dat", fixed);
  Check(t.consumed <= bytes.size());
  Check(t.keys.size() == t.records.size() * static_cast<size_t>(ks));
  Check(t.positive + t.negative == static_cast<int64_t>(t.records.size()));
  int64_t errors = 0;
  for (const auto& [rule, n] : t.rule_counts) errors += n;
  Check(errors == t.error_count + t.notice_count);
  for (const SavedTreeRecord& r : t.records) {
    Check(r.offset >= 0 && r.offset + ks <= static_cast<int64_t>(bytes.size()));
    if (r.data_offset >= 0) {
      Check(r.data_size >= 0 && r.data_offset + r.data_size <= static_cast<int64_t>(bytes.size()));
    }
  }
  for (const Finding& f : t.findings) {
    Check(f.offset <= static_cast<int64_t>(bytes.size()));
    if (t.decoded_completely) Check(f.rule != "V1" && f.rule != "V3");
  }
  return 0;
}
