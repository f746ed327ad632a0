// The digest of a collection's visible records (issue 17 §3, `verify --digest`): of each key, the
// version in the newest file that has it (newest wins, doc/format.md §8.2, as MergingIterator picks
// it), and only when that version is positive (a tombstone hides the key). The digest is the sum
// modulo 2^128 of Hash128(key, data) over those records (base/hash128.h): independent of how the
// records are spread over files, so two mirrors holding the same visible records in differently
// merged files agree, and a missing, extra or changed record changes it.
//
// Visible records need a merge of the collection's files by key, which a per-file pass cannot do
// within verify's memory (the newest version of a key may be in any file): the digest is one
// streaming merge over every file, reading each once more (see verify's man page).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "base/hash128.h"
#include "jobs/verify/verify_job.h"

namespace shardtool {

struct CollectionDigest {
  std::string ns;
  std::string rdb;
  int64_t records = 0;  // visible records
  Digest128 digest;
};

struct DigestOptions {
  // Called every `yield_every` records; a non-Ok Status stops the digest with it.
  std::function<Status()> yield;
  uint64_t yield_every = 10000;
  const std::atomic<bool>* stop = nullptr;  // set: Interrupted at the next yield point
  size_t buffer_per_file = size_t{256} << 10;
};

// The hash of one record (its full key, compression bits clear, then its data).
Hash128 RecordHash128(const uint8_t* key, int key_size, const uint8_t* data, uint32_t data_size);

// The digest of c's data_files (oldest first, as the job lists them).
Result<CollectionDigest> DigestCollection(FileSystem* fs, const VerifyCollection& c,
                                          const DigestOptions& opt);

}  // namespace shardtool
