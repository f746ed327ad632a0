// Verify's check of Gigablast's saved in-memory trees (issue 16 §2, what deepVerify covers): for
// each Rdb being verified, `<workdir>/<rdb>-saved.dat` (RdbTree) and `<rdb>-buckets-saved.dat`
// (RdbBuckets) are decoded to the last byte (format/saved_tree.h, V1-V5), and every record of the
// database's collnum is checked against the same ownership filter as the data files (O1).
// Saved trees of other engine parts (autoban, statsdb, waitingtree, ...) are named with a notice
// (V6) and skipped. A missing tree file is nothing to report.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "format/finding.h"
#include "format/saved_tree.h"
#include "jobs/verify/file_verifier.h"

namespace shardtool {

struct VerifyCollection;

struct TreeVerifyReport {
  std::string file;      // workdir/<name>
  std::string rdb;       // the Rdb, or the engine part the name says ("statsdb")
  std::string kind;      // "rdbtree" / "rdbbuckets"
  bool skipped = false;  // not an Rdb's tree (V6)
  int32_t collnum = 0;   // the database's
  uint64_t bytes = 0;
  int64_t positive = 0, negative = 0;  // every record of the file
  int64_t this_collnum = 0, other_collnums = 0;
  // "records", "not_shardable" (O2) or "unversioned", as for files.
  std::string ownership_checked;
  int64_t owned = 0, not_owned = 0;
  std::map<int, int64_t> not_owned_by_shard;
  std::vector<MisplacedRecord> misplaced_sample;  // offset: of the key in the tree file
  std::vector<Finding> findings;
  std::map<std::string, int64_t> rule_counts;  // exact per rule
  int64_t errors = 0, notices = 0;
  bool decoded_completely = false;
};

// Checks one tree file already read. `owners` nullptr: ownership not checked.
TreeVerifyReport VerifySavedTree(const std::string& path, std::string_view bytes,
                                 const RdbInfo& rdb, SavedTreeKind kind, int32_t collnum,
                                 const SlotOwners* owners, int report_limit);

// The saved trees of the collections' Rdbs in the working dir (the parent of their dirs), and the
// other engine parts' saved trees found there (skipped, V6). I/O errors other than NotFound fail.
Result<std::vector<TreeVerifyReport>> VerifySavedTrees(
    FileSystem* fs, const std::vector<VerifyCollection>& collections, int report_limit);

}  // namespace shardtool
