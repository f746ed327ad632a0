// The source of `shardtool import` (doc/format.md §9): another cluster's data files of one Rdb in
// one directory, read only, never modified.
//
// ScanImportSource lists the directory: the normal data files of the Rdb (titledb:
// titledbNNNN-DDD.dat) with their parts, in ascending id order. Names that look like the Rdb's
// files but follow no §4 pattern are skipped with a notice (I1); two files with one id (I2), an
// even-id merge file or a headless file (I3) make the directory unusable (FailedPrecondition,
// exit 3) until the other cluster's merge finishes.
//
// SourceReader streams the records of one file from a record boundary: key, data, the record's
// logical offset and stored size. A negative dataSize or one above 500 000 000 (I4) and a record
// running past the end (I5) end the file with a located finding; keys out of order are a notice
// (I7, counted once per file). Starting at an offset other than 0 walks the records from offset 0
// (the compression state of half-key Rdbs needs it, and I8 asks for the boundary check).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/big_file.h"
#include "format/finding.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"
#include "io/file_system.h"

namespace shardtool {

// A position in the source: every record of the files before file_id, and every byte before
// offset of file_id. Ordered as (file_id, offset).
struct SourcePos {
  int32_t file_id = 0;
  uint64_t offset = 0;
  friend bool operator==(const SourcePos&, const SourcePos&) = default;
  friend auto operator<=>(const SourcePos&, const SourcePos&) = default;
};

struct SourceFile {
  int32_t id = 0;
  std::string name;   // part-0 data name
  uint64_t size = 0;  // logical size
  int32_t parts = 1;
};

struct SourceScan {
  std::vector<SourceFile> files;  // ascending id
  std::vector<Finding> findings;  // I1 notices
};

// REQUIRES: rdb is shardable.
Result<SourceScan> ScanImportSource(FileSystem* fs, const std::string& dir, const RdbInfo& rdb);

// One record read from the source. key and data are valid until the next Next().
struct SourceRecord {
  const uint8_t* key = nullptr;
  const uint8_t* data = nullptr;
  uint32_t data_size = 0;
  uint64_t offset = 0;  // logical offset in the file
  uint32_t size = 0;    // stored bytes
  bool negative = false;
};

class SourceReader {
 public:
  SourceReader(FileSystem* fs, std::string dir, const SourceFile& file, const RdbInfo& rdb,
               size_t buffer_size = size_t{4} << 20);
  // Opens the file and positions at `offset`. Corruption naming I8 when offset is past the end
  // or not a record boundary.
  Status Open(uint64_t offset);
  // The next record; false at the end of the file or at a corrupt record (then finding() is set
  // and the rest of the file is skipped). Errors are I/O errors.
  Result<bool> Next(SourceRecord* rec);
  // The offset after the last record returned (the resume point).
  uint64_t position() const { return pos_; }
  uint64_t size() const { return size_; }
  // I4/I5 finding that ended the file, if any.
  const std::vector<Finding>& findings() const { return findings_; }
  int64_t out_of_order() const { return out_of_order_; }

 private:
  Result<bool> Fill();

  FileSystem* fs_;
  std::string dir_;
  SourceFile file_;
  const RdbInfo& rdb_;
  size_t buffer_size_;
  std::unique_ptr<BigFile> big_;
  RecordDecoder decoder_;
  std::vector<uint8_t> buf_;
  uint64_t buf_off_ = 0;  // logical offset of buf_[0]
  size_t buf_len_ = 0;
  uint64_t pos_ = 0;
  uint64_t size_ = 0;
  bool ended_ = false;
  bool have_prev_ = false;
  uint8_t prev_[kMaxKeySize] = {};
  int64_t out_of_order_ = 0;
  std::vector<Finding> findings_;
};

}  // namespace shardtool
