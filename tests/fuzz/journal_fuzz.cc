// libFuzzer target: the journals shardtool resumes from — the merge journal and the stash journal
// of --resume — and the retired-files list never crash their parsers; accepted texts reserialise to
// a fixed point (state_fuzz.h). The first byte picks the parser, so one corpus serves all three.
#include "acquire/stash_journal.h"
#include "catalog/retired_files.h"
#include "jobs/merge/merge_journal.h"
#include "state_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardtool;
  if (size == 0) return 0;
  const uint8_t which = data[0] % 3;
  ++data;
  --size;
  if (which == 0) {
    fuzz::CheckStateFile(
        data, size, [](std::string_view t) { return ParseMergeJournal(t, "merge.json"); },
        [](const MergeJournal& j) { return SerializeMergeJournal(j); });
  } else if (which == 1) {
    fuzz::CheckStateFile(
        data, size, [](std::string_view t) { return ParseStashJournal(t, "stash.json"); },
        [](const StashJournal& j) { return SerializeStashJournal(j); });
  } else {
    fuzz::CheckStateFile(
        data, size, [](std::string_view t) { return ParseRetiredList(t, "retired.json"); },
        [](const RetiredList& l) { return SerializeRetiredList(l); });
  }
  return 0;
}
