// Sorted runs of an import (issue 6): when the records of one commit do not fit in --memory, each
// full buffer is sorted per shard and written as a *run*, and the commit k-way merges the runs
// (and the last buffer, still in memory) straight into each target's new data file.
//
// A run is a cache, never a commit: it is written without fsync, only the run that made it reads
// it, and a crashed run's leftovers are removed by the next run (the ledger and the bookmark
// decide what is committed; a rerun re-reads the source from the bookmark).
//
// Run file "run.s<shard>.<seq>.zst" (little-endian): blocks of
//   u32 raw_size | u32 frame_size | zstd frame (frame_size bytes, content checksum) of raw_size
//   bytes
// whose content is whole records, each
//   key (key_size bytes) | u32 data_size | i32 source file id | u64 source offset | data
// in key order, keys distinct (the newest source record of a key kept). A block holds about
// kSpillBlockSize bytes (more only for one larger record), so a reader needs two small buffers.
//
// Run directories: "<host workdir>/shardtool/tmp/import.<db>.<rdb>.<srcid>.<uuid>/" for a shard
// with a host on this machine, "<stage dir>/.import-tmp/import.<db>.<rdb>.<srcid>.<uuid>/" for a
// shard only staged. Neither Gigablast nor discovery look there; a run removes the leftover
// "import.<db>.<rdb>.<srcid>.*" directories under its import lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/file_system.h"
#include "io/zstd_codec.h"
#include "jobs/import/import_source.h"

namespace shardtool {

inline constexpr size_t kSpillBlockSize = size_t{64} << 10;

// One record of a sorted stream. key and data are valid until the next Next() of its source.
struct SpillRecord {
  const uint8_t* key = nullptr;
  const uint8_t* data = nullptr;
  uint32_t data_size = 0;
  SourcePos pos;
};

// A stream of records in key order (no two with one key).
class SortedSource {
 public:
  virtual ~SortedSource() = default;
  // The next record; false at the end.
  virtual Result<bool> Next(SpillRecord* rec) = 0;
};

class SpillRunWriter {
 public:
  SpillRunWriter(FileSystem* fs, std::string path, int key_size);
  Status Open();
  // REQUIRES: keys ascending and distinct.
  Status Add(const SpillRecord& rec);
  // Writes the last block and closes the file (no fsync: a run is a cache).
  Status Finish();
  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return bytes_; }
  int64_t records() const { return records_; }

 private:
  Status FlushBlock();

  FileSystem* fs_;
  std::string path_;
  int ks_;
  std::unique_ptr<WritableFile> file_;
  ZstdBlockCodec codec_{-3};  // a fast level: titlerecs are zlib data already
  std::string raw_, frame_;
  uint64_t bytes_ = 0;
  int64_t records_ = 0;
};

class SpillRunReader : public SortedSource {
 public:
  SpillRunReader(FileSystem* fs, std::string path, int key_size, ZstdBlockCodec* codec);
  Status Open();
  Result<bool> Next(SpillRecord* rec) override;

 private:
  Status LoadBlock();

  FileSystem* fs_;
  std::string path_;
  int ks_;
  ZstdBlockCodec* codec_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t size_ = 0, next_block_ = 0, block_at_ = 0;
  std::string raw_, frame_;
  size_t pos_ = 0;
};

// Merges sorted sources. Of records with one key (cmpNegEq) the one of the last source wins (the
// sources are given oldest first); the others are counted in superseded().
class SpillMerger : public SortedSource {
 public:
  SpillMerger(std::vector<std::unique_ptr<SortedSource>> sources, int key_size);
  Result<bool> Next(SpillRecord* rec) override;
  int64_t superseded() const { return superseded_; }

 private:
  Status Advance(size_t i);  // the next record of source i into the heap (or drops it)
  bool Before(size_t a, size_t b) const;

  std::vector<std::unique_ptr<SortedSource>> sources_;
  std::vector<SpillRecord> heads_;
  std::vector<size_t> heap_;  // source indexes, min-heap by (key, index)
  int ks_;
  bool started_ = false;
  size_t pending_ = SIZE_MAX;  // the source whose record Next() returned last
  int64_t superseded_ = 0;
};

// Opens the runs (oldest first) for merging, all through one codec.
Result<std::vector<std::unique_ptr<SortedSource>>> OpenSpillRuns(
    FileSystem* fs, const std::vector<std::string>& paths, int key_size, ZstdBlockCodec* codec);

// Merges `runs` (oldest first) into one run at `out`; the inputs are removed afterwards.
// *superseded counts the older records of keys met more than once.
Status MergeSpillRuns(FileSystem* fs, const std::vector<std::string>& runs, const std::string& out,
                      int key_size, int64_t* superseded);

// Removes a run directory and its files (no fsync: runs are a cache). Ok when it is absent.
Status RemoveSpillDir(FileSystem* fs, const std::string& dir);

// Removes the directories "<prefix>*" under parent (leftovers of dead runs). Returns how many.
Result<int> RemoveSpillLeftovers(FileSystem* fs, const std::string& parent,
                                 const std::string& prefix);

}  // namespace shardtool
