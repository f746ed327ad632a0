// The verify job (doc/architecture.md §4, §9): the deep check of every data file of a database's
// collections on this host, files in parallel. The caller (the CLI, through an acquisition) says
// which files to check and who owns which slot; the job returns a plain report and never writes
// anything.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jobs/verify/collection_digest.h"
#include "jobs/verify/file_verifier.h"
#include "jobs/verify/tree_verifier.h"

namespace shardtool {

// One collection (Rdb) of the database as acquired: its files and its ownership view.
struct VerifyCollection {
  std::string ns;  // "main.posdb"
  const RdbInfo* rdb = nullptr;
  std::string dir;                      // the coll.<name>.<n> dir
  std::vector<std::string> data_files;  // part-0 names, sorted by id
  // The merge targets among them known to hold no negatives (L9): no older file is present.
  std::vector<std::string> negative_free;
  uint64_t part_size = 2013265920ULL;
  std::optional<SlotOwners> owners;  // nullopt: unversioned (ownership not checked)
  // Merge targets among data_files that Gigablast is writing (no shardtool journal, first input
  // still present): checked, but a missing map (D6) and a torn last record (L2) are expected
  // there and not reported, and their records are not counted in the summary (they are still in
  // the inputs); a D10 notice gives the target's size and inputs.
  struct GigablastMerge {
    std::string target;               // part-0 data name, e.g. "posdb0000.002.dat"
    std::vector<std::string> inputs;  // part-0 names of the inputs still present
  };
  std::vector<GigablastMerge> gigablast_merges;
};

struct VerifyOptions {
  int threads = 1;
  bool quick = false;
  bool inflate = true;
  int report_limit = 20;
  // Called from worker threads every `yield_every` records of a file; a non-Ok Status stops the
  // job (the first such Status is returned). May be empty.
  std::function<Status()> yield;
  uint64_t yield_every = 10000;
  // Progress: bytes verified so far and the total, called from worker threads (thread-safe
  // callback required). May be empty.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Set to stop at the next yield point (SIGINT/SIGTERM): the job returns Interrupted.
  const std::atomic<bool>* stop = nullptr;
  // Also check the saved in-memory trees of the collections' Rdbs (tree_verifier.h).
  bool trees = true;
  // Also the digest of each collection's visible records, from the same pass
  // (collection_digest.h): the files of one collection are then verified at once, one thread
  // each, `threads` of them decoding at a time, and the collections one after another.
  bool digest = false;
};

// Turns the report of a merge target Gigablast is writing into what verify says of it (see
// VerifyCollection::gigablast_merges): D6 and L2 dropped (counts included), the D10 notice added.
void MarkGigablastMerge(const std::vector<std::string>& inputs, FileVerifyReport* r);

struct VerifySummary {
  // not_owned, errors and notices include the saved trees'; records counts the files' only.
  int64_t files = 0, records = 0, not_owned = 0, errors = 0, notices = 0;
  int64_t trees = 0, tree_records = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

struct VerifyReport {
  std::vector<FileVerifyReport> files;  // in collection order, then file id order
  std::vector<TreeVerifyReport> trees;  // saved in-memory trees, in collection order
  VerifySummary summary;
  std::vector<CollectionDigest> digests;  // with digest: one per collection, in order
  // Exit status contract (doc/architecture.md §9): findings = any error finding or any not-owned
  // record.
  bool ok() const { return summary.errors == 0 && summary.not_owned == 0; }
};

Result<VerifyReport> RunVerify(FileSystem* fs, const std::vector<VerifyCollection>& collections,
                               const VerifyOptions& opt);

}  // namespace shardtool
