// The digest of a collection's visible records (issue 17 §3, `verify --digest`): of each key, the
// version in the newest file that has it (newest wins, doc/format.md §8.2, as MergingIterator picks
// it), and only when that version is positive (a tombstone hides the key). The digest is the sum
// modulo 2^128 of Hash128(key, data) over those records (base/hash128.h): independent of how the
// records are spread over files, so two mirrors holding the same visible records in differently
// merged files agree, and a missing, extra or changed record changes it.
//
// It is computed in verify's own pass, each file read and decoded once (doc/architecture.md §4):
// every file of the collection is verified at once, each on its own thread (the producer), whose
// verifier hands each decoded record to the file's DigestFeed (a RecordSink). The feed hashes the
// record there and passes only its key, hash and sign on, in batches, through a bounded queue. The
// collection's merge (the consumer, MergeDigestFeeds) takes the batches of all files, oldest file
// first, through MergingIterator's own loser tree, so equal keys, newest-wins and tombstones behave
// exactly as in a merge, and adds the hashes of the visible positives.
//
// A digest is complete when every file decoded to its end with its keys in order. Otherwise it is
// incomplete: `incomplete` names the file and the reason, and the digest claims nothing (verify
// reports the file's findings anyway).
//
// Memory: the feeds' queues and the verifiers' read buffers share a fixed budget
// (DigestMemoryFor), so that verify --digest stays within verify's 64 MiB whatever the number of
// files.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <semaphore>
#include <string>
#include <vector>

#include "base/hash128.h"
#include "jobs/verify/file_verifier.h"

namespace shardtool {

struct CollectionDigest {
  std::string ns;
  std::string rdb;
  int64_t records = 0;  // visible records (of the files read, when incomplete)
  Digest128 digest;
  bool complete = true;
  std::string incomplete;  // when not complete: which file and why
};

// The hash of one record (its full key, compression bits clear, then its data).
Hash128 RecordHash128(const uint8_t* key, int key_size, const uint8_t* data, uint32_t data_size);

// How a collection of `files` files shares the digest pass's memory budget (about 24 MiB):
// each verifier's read buffer, and the records per batch of its feed (a feed holds at most four
// batches: one filling, two queued, one merging).
struct DigestMemory {
  size_t scan_buffer = 0;
  size_t batch_records = 0;
};
DigestMemory DigestMemoryFor(size_t files, int key_size);

// One file's records on their way from its verifier (the producer thread) to the collection's
// merge (the consumer thread). Thread-safe between exactly one producer and one consumer.
class DigestFeed final : public RecordSink {
 public:
  struct Batch {
    std::vector<uint8_t> keys;  // n full keys, key_size bytes each
    std::vector<Hash128> hashes;
    std::vector<uint8_t> negative;
    size_t n = 0;
  };

  // decode_slots (may be nullptr): the producer holds one while it decodes; it gives it back while
  // it waits for room in the queue, so that another file can decode meanwhile (verify --threads).
  DigestFeed(int key_size, size_t batch_records, std::counting_semaphore<>* decode_slots);

  // Producer: one decoded record, in file order. Returns the Status given to Cancel, if any.
  Status Add(const Record& rec) override;
  // Producer: the end of the file, after its last Add. `end` non-Ok: the file did not decode to
  // its end (the digest is then incomplete, for the reason in its message).
  void Finish(Status end);

  // Consumer: the next batch, waiting for it; `b` (the batch just merged) is taken back for reuse.
  // False once the feed is finished and drained, or cancelled: ending() then says how it ended.
  bool Pop(Batch* b);
  Status ending();

  // Either side: records are no longer wanted (the digest is incomplete); Add drops them and
  // never waits.
  void Discard();
  // Either side: the job failed with `why`; Add returns it, Pop returns false.
  void Cancel(Status why);

 private:
  Status Flush();

  const int key_size_;
  const size_t batch_records_;
  std::counting_semaphore<>* slots_;
  Batch fill_;  // the producer's batch
  // Discard() or Cancel(), and Cancel(): read by Add without the mutex.
  std::atomic<bool> dropping_{false}, cancelled_{false};
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<Batch> queued_;
  std::vector<Batch> spare_;
  bool finished_ = false, discard_ = false;
  Status end_, cancel_;
};

// Merges the feeds of a collection's files (oldest first; `files` names them, for messages) into
// the digest of collection `ns` of `rdb`. Returns when every feed is drained (a complete digest),
// or incomplete as soon as a file ended short or went backwards (keys out of order, L4): the caller
// then discards the remaining records. `stop` set: Interrupted; a cancelled feed: its Status.
Result<CollectionDigest> MergeDigestFeeds(const RdbInfo& rdb, const std::string& ns,
                                          const std::vector<std::string>& files,
                                          const std::vector<DigestFeed*>& feeds,
                                          const std::atomic<bool>* stop);

}  // namespace shardtool
