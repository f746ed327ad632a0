// DataFileWriter: writes one new data file the way Gigablast lays it out — canonical record
// encoding (RecordEncoder), parts of size P, the page map built while writing (PageMap::AddRecord)
// and shardtool's checksum sidecar — and makes it durable: parts fsynced, then map and sidecar
// written with AtomicFile, then the directory fsynced.
//
// The data parts are written under their final names (GB has no temporary form of a .dat name; a
// merge target's ".mmm.dat" name is itself the in-progress form). Records must be added in key
// order; the writer does not re-check order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/crc_sidecar.h"
#include "format/page_map.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"
#include "io/file_system.h"

namespace shardtool {

constexpr uint64_t kGbPartSize = 2013265920ULL;  // GB's MAX_PART_SIZE (1920 MiB)

class DataFileWriter {
 public:
  struct Options {
    uint64_t part_size = kGbPartSize;  // REQUIRES: a multiple of 2048 * page size
    bool write_sidecar = true;
    size_t buffer_size = size_t{1} << 20;
  };

  // Writes dir/data_name (+ .partN), dir/map_name and dir/crc_name.
  DataFileWriter(FileSystem* fs, std::string dir, std::string data_name, std::string map_name,
                 std::string crc_name, const RdbInfo& rdb, Options options);
  ~DataFileWriter();

  // Creates part 0 (fails if it exists).
  Status Open();
  // Appends one record (full key; data ignored for negatives and key-only Rdbs).
  Status Add(const uint8_t* full_key, const uint8_t* data, uint32_t data_size);
  // Writes what is buffered and asks the OS to start writing it to disk, without waiting: a
  // caller about to Finish several writers drains them all first, so that the first Finish's
  // fsync is not the only time the disk works on the others.
  Status Drain();
  // Flushes and fsyncs the parts, writes map and sidecar durably, fsyncs the directory.
  Status Finish();

  uint64_t bytes_written() const { return offset_; }
  int64_t records() const { return map_.num_positive() + map_.num_negative(); }
  const PageMap& map() const { return map_; }

 private:
  Status Flush();

  FileSystem* fs_;
  std::string dir_, data_name_, map_name_, crc_name_;
  const RdbInfo& rdb_;
  Options opt_;
  RecordEncoder encoder_;
  PageMap map_;
  CrcSidecarBuilder crc_;
  std::unique_ptr<WritableFile> part_;
  int32_t part_index_ = 0;
  uint64_t part_filled_ = 0;
  uint64_t offset_ = 0;  // logical bytes written (including buffered)
  // Records are encoded straight into the write buffer (no copy between encoding and write).
  std::unique_ptr<uint8_t[]> buf_;
  size_t buf_cap_ = 0, buf_len_ = 0;
  static constexpr uint64_t kWritebackBytes = uint64_t{8} << 20;
  uint64_t writeback_at_ = 0;
};

}  // namespace shardtool
