// FileVerifier: the deep check of one data file (doc/architecture.md §4, issue "verify"): structure
// (L1-L7), parts and names (D1-D8), the map against the data (M1-M11), the checksum sidecar
// (C1-C5), titlerec payloads (T1-T3) and ownership of every record's slot (O1, O2). Findings are
// located (file, page, offset, key, rule id), capped per rule in the report while counts stay
// exact, and a defect never stops the scan while the data still decodes.
//
// One verifier checks one file on the calling thread; the verify job runs several in parallel.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "format/finding.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"
#include "iter/data_file.h"

namespace shardtool {

// Who owns each slot, as the acquisition's ownership filter says (doc/acquisition.md §4).
struct SlotOwners {
  std::array<int16_t, kNumSlots> owner{};  // owning shard of each slot
  int16_t self = 0;                        // this host's shard
};

// The owner of every slot from a collection's chunks (-1 where no chunk covers it), and this
// host's shard: for readers that have a catalog entry but no acquisition (inspect key).
SlotOwners SlotOwnersOf(const CollectionEntry& c, int32_t self_shard);

// Receives every record the deep scan decodes, in file order, on the verifier's thread (verify
// --digest feeds its collection digest from it, collection_digest.h, so that the records are read
// and decoded once).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // rec.key is the full key (compression bits clear); rec and its bytes are valid during the call
  // only. A non-Ok Status ends the check of the file with that Status.
  virtual Status Add(const Record& rec) = 0;
};

struct FileVerifyOptions {
  // --quick: names, parts, map structure, sidecar sizes and ownership of the map's page keys only.
  bool quick = false;
  // T2: inflate every titlerec (verify without --quick).
  bool inflate = true;
  // Findings listed per rule, and misplaced records sampled (--report-limit).
  int report_limit = 20;
  // nullptr: ownership is not checked (an unsharded description).
  const SlotOwners* owners = nullptr;
  // L9: the file is known to hold no negative records (a merge target whose merge includes the
  // oldest file, which drops them: doc/format.md §8 rule 3); each one found is an error.
  bool no_negatives = false;
  // Called every `yield_every` records (or 1 MiB of them, whichever comes first) with the logical
  // offset reached; a non-Ok Status ends the check of this file with that Status (yield/restore
  // failures, interruption).
  std::function<Status(uint64_t offset)> yield;
  uint64_t yield_every = 10000;
  // The deep scan's read buffer: small enough that a block is still in the core's L2 cache when
  // its records have been decoded and its checksum is computed (256 KiB verifies titledb ~20%
  // faster than 1 MiB on a 1 MiB L2; doc/benchmarks.md). verify --digest, which reads every file
  // of a collection at once, gives each file a share of its memory instead.
  size_t scan_buffer = size_t{256} << 10;
  // nullptr: none (the scan loop is then compiled without it). Not called with --quick.
  RecordSink* sink = nullptr;
};

struct MisplacedRecord {
  std::string key;  // hex
  int64_t offset = -1;
  int slot = 0;
  int owner = 0;
};

struct FileVerifyReport {
  std::string file;  // data file path (dir/name)
  std::string rdb;
  int32_t id = 0;
  uint64_t bytes = 0;  // logical size
  int64_t positive = 0, negative = 0;
  std::string first_key, last_key;
  // "records", "page_keys" (--quick), or "not_shardable" (O2) / "unversioned".
  std::string ownership_checked;
  int64_t owned = 0, not_owned = 0;
  std::map<int, int64_t> not_owned_by_shard;
  std::vector<MisplacedRecord> misplaced_sample;
  std::vector<Finding> findings;
  std::map<std::string, int64_t> rule_counts;  // exact count per rule id
  int64_t errors = 0, notices = 0;             // exact, over all rules
  bool decoded_completely = false;
  // A merge target Gigablast is writing (MarkGigablastMerge): its records are not counted in the
  // verify summary.
  bool gigablast_merge = false;
  double seconds = 0;
};

// Verifies `data_name` in `dir` (entries: the dir listing, or nullptr). Returns the report; a
// non-Ok Status only for failures that are not findings (I/O errors, a yield that failed).
Result<FileVerifyReport> VerifyFile(FileSystem* fs, const std::string& dir,
                                    const std::string& data_name,
                                    const std::vector<DirEntry>* entries,
                                    const OpenDataFileOptions& open, const FileVerifyOptions& opt);

}  // namespace shardtool
