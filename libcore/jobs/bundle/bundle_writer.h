// Bundles (doc/format.md §10.2) and quarantine entries (§10.3): records taken out of the live data,
// for another shard's `ingest` or for people to look at.
//
// A bundle is a directory holding records-NNNN.zst streams and manifest.json, written last. While
// it is being written it is "<name>.tmp" (ignored by readers); Commit() writes the manifest,
// fsyncs it and the directory, renames the directory to "<name>" and fsyncs the parent. Each
// stream is one zstd frame with a content checksum that decompresses to a record list with full
// keys only (no half-key or posdb compression), keys strictly increasing under cmpNegEq.
//
// BundleWriter buffers records per *slot* (a caller's channel: one for a plain bundle, one per
// source file for a quarantine entry, whose streams name their source file and byte ranges) and
// turns a buffer into a stream (compress, write, fsync) when it reaches stream_bytes, when the
// caller's memory budget says so, or at FlushAll() (a checkpoint of the job). Streams already
// durable from an earlier run are adopted on Resume, and files a crash left half-written are
// removed. Names are sequential: records-0000.zst, records-0001.zst, ...
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"
#include "io/file_system.h"

namespace shardtool {

// A byte range of a quarantine stream's source file (§10.3).
struct BundleRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  int64_t records = 0;
  std::string first_key, last_key;  // hex; empty in raw ranges
  std::string rule;                 // raw ranges: the rule the bytes broke (C4, L2, ...)
  friend bool operator==(const BundleRange&, const BundleRange&) = default;
};

struct BundleStreamInfo {
  std::string file;  // "records-0000.zst"
  int64_t records = 0, positive = 0, negative = 0;
  uint64_t bytes = 0;  // decompressed size
  std::string first_key, last_key;
  uint32_t crc32c = 0;  // of the .zst file as stored
  // Quarantine entries only (§10.3).
  std::string reason;       // "orphan" / "corrupt-record" / "corrupt-page"
  std::string encoding;     // "records", or "raw": the exact source bytes of `ranges`
  std::string source_file;  // relative to the working dir
  std::vector<BundleRange> ranges;
  friend bool operator==(const BundleStreamInfo&, const BundleStreamInfo&) = default;
};

// The manifest fields that do not come from the streams.
struct BundleHeader {
  std::string kind = "orphans";  // import | orphans | quarantine
  std::string created;           // "2024-01-31T12:00:00Z"
  int32_t source_host_id = 0, source_shard = 0;
  int32_t target_shard = 0;
  std::string database;
  std::string catalog_epoch;
  uint64_t catalog_version = 0;
  std::string catalog_shard_version;  // of target_shard
  std::string collection_uuid;        // "" in bundles made before it was recorded
};

struct BundleManifest {
  BundleHeader header;
  std::string rdb;
  int key_size = 0;
  int32_t fixed_data_size = 0;
  int64_t positive = 0, negative = 0;
  std::string first_key, last_key;  // key_range; empty when there are no records
  std::vector<BundleStreamInfo> streams;
};

std::string SerializeBundleManifest(const BundleManifest& m);
// B1 (Corruption naming `path` and the rule) when the text is not a manifest of schema 1.
Result<BundleManifest> ParseBundleManifest(std::string_view text, const std::string& path);

// "<db>.<rdb>.s<shard>.<yyyymmddThhmmssZ>.<8 hex>" and the UTC forms of a Unix time.
std::string BundleDirName(const std::string& db, const std::string& rdb, int32_t shard,
                          int64_t unix_seconds, uint32_t tag);
std::string Iso8601Utc(int64_t unix_seconds);  // 2024-01-31T12:00:00Z
std::string CompactUtc(int64_t unix_seconds);  // 20240131T120000Z

class BundleWriter {
 public:
  // The bundle parent/name (written as parent/name.tmp until Commit).
  BundleWriter(FileSystem* fs, std::string parent, std::string name, const RdbInfo& rdb,
               BundleHeader header);
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  // Creates parent/name.tmp (and parent). A leftover tmp dir of the same name is reused: files in
  // it that are not among `adopted` are removed, and the adopted streams count as written.
  Status Open(const std::vector<BundleStreamInfo>& adopted = {});
  // Quarantine slots: the source file and reason their streams carry.
  void SetSlotSource(int slot, std::string source_file, std::string reason);

  // Adds one record (full key) to a slot's buffer. source_offset / source_size: where the record
  // lies in its source file (quarantine ranges; ignored for plain bundles).
  Status Add(int slot, const uint8_t* full_key, const uint8_t* data, uint32_t data_size,
             uint64_t source_offset = 0, uint32_t source_size = 0);
  // Adds exact source bytes to a raw slot (one that holds no records): a quarantine stream of
  // encoding "raw" whose ranges say where the bytes lie in the source file and which `rule` they
  // broke. Consecutive bytes of one rule extend the last range.
  Status AddRaw(int slot, uint64_t source_offset, std::string_view bytes, const std::string& rule);
  // Bytes buffered in all slots.
  size_t buffered() const { return buffered_; }
  // Turns the largest buffer into a stream (memory budget).
  Status FlushLargest();
  // Turns every buffer into a stream and fsyncs the directory: after it returns, streams() are
  // durable.
  Status FlushAll();
  // FlushAll, then the manifest, then the rename to the final name (see the comment atop).
  Status Commit();

  const std::vector<BundleStreamInfo>& streams() const { return streams_; }
  std::string tmp_path() const;
  std::string final_path() const;
  int64_t records() const;
  uint64_t stream_bytes_written() const { return file_bytes_; }
  size_t stream_limit = size_t{8} << 20;  // a buffer becomes a stream at this size

 private:
  struct Slot;
  Status FlushSlot(Slot& s);

  FileSystem* fs_;
  std::string parent_, name_;
  const RdbInfo& rdb_;
  BundleHeader header_;
  std::map<int, std::unique_ptr<Slot>> slots_;
  std::vector<BundleStreamInfo> streams_;
  size_t buffered_ = 0;
  uint64_t file_bytes_ = 0;
  bool dir_dirty_ = false;
};

// A bundle read back and checked (B1-B4): manifest, then each stream's records in order (none for
// a raw stream, whose bytes are checked by B2 only).
struct BundleRecord {
  std::string key;   // ks bytes
  std::string data;  // data part
  bool negative = false;
};
struct BundleContents {
  BundleManifest manifest;
  std::vector<std::vector<BundleRecord>> streams;
};
// Reads the bundle directory `dir`. Corruption naming the rule (B1-B4) on any breach.
Result<BundleContents> ReadBundle(FileSystem* fs, const std::string& dir);

}  // namespace shardtool
