// BigFile (doc/format.md §4): the logical data of one data file stored as parts — the bare name is
// part 0, then "<name>.part1", ".part2", ... Byte o lives in part o / P at offset o mod P.
//
// A merge unlinks leading parts as it consumes them, so parts 0..h-1 may be missing ("headless");
// the logical size L = lastPart*P + size(lastPart) still counts them. Parts below a gap are stale
// islands: ignored, reported (D3). P is the size of the first present part when at least two parts
// of the contiguous run are present, else the catalog's part size.
//
// Reads go through ReadWithRetry (Msg3's policy: transient errors retried with backoff).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/file_name.h"
#include "format/finding.h"
#include "io/file_system.h"
#include "io/read_retry.h"

namespace shardtool {

struct PartInfo {
  int32_t index = 0;
  std::string name;  // file name in the directory
  uint64_t size = 0;
};

class BigFile {
 public:
  // Opens the data file `data_name` (its part-0 name, e.g. "posdb0003.dat") in `dir`, finding its
  // parts among `entries` (a listing of dir). page_size is the Rdb's PS (for D2), default_part_size
  // the catalog's P. Part rules D1, D2, D3, D7 are appended to *findings (which may be null).
  // NotFound when no part is present; Corruption when the parts are unusable (D1).
  static Result<std::unique_ptr<BigFile>> Open(FileSystem* fs, const std::string& dir,
                                               const std::string& data_name,
                                               const std::vector<DirEntry>& entries,
                                               uint32_t page_size, uint64_t default_part_size,
                                               std::vector<Finding>* findings);

  const std::string& dir() const { return dir_; }
  const std::string& name() const { return name_; }  // part-0 name
  std::string path() const { return JoinPath(dir_, name_); }
  uint64_t part_size() const { return part_size_; }
  uint64_t logical_size() const { return logical_size_; }
  // Index of the first part of the contiguous run that ends at the last part (h).
  int32_t first_part() const { return first_part_; }
  int32_t last_part() const { return last_part_; }
  bool headless() const { return first_part_ > 0; }
  // Logical offset of the first readable byte (h * P).
  uint64_t first_offset() const { return static_cast<uint64_t>(first_part_) * part_size_; }
  // Present parts of the contiguous run, in order (islands excluded).
  const std::vector<PartInfo>& parts() const { return parts_; }
  const std::vector<PartInfo>& islands() const { return islands_; }

  void set_retry_policy(const ReadRetryPolicy& p) { retry_ = p; }
  // Reads exactly n bytes at logical offset (across parts). Reading a missing part or past L is
  // Corruption naming the file and offset.
  Status Read(uint64_t offset, size_t n, uint8_t* dst);

 private:
  BigFile() = default;
  FileSystem* fs_ = nullptr;
  std::string dir_, name_;
  uint64_t part_size_ = 0;
  uint64_t logical_size_ = 0;
  int32_t first_part_ = 0, last_part_ = 0;
  std::vector<PartInfo> parts_, islands_;
  std::vector<std::unique_ptr<RandomAccessFile>> open_;  // parallel to parts_, opened lazily
  ReadRetryPolicy retry_;
};

// Directory-level rule D9 for the data files of one Rdb in one dir (part-0 names): a merge file
// <db>E.mmm.dat may be followed by at most mmm files with ids > E, else it is not a recognisable
// merge (doc/format.md §8). Findings name dir/<merge file>.
void CheckMergeFiles(const std::vector<DataFileName>& files, const std::string& dir,
                     std::vector<Finding>* out);

// Name-level data-file rules: D4 (odd/even ids, mmm), D5 (titledb "-DDD"), D8 (DDD not 000).
void CheckDataFileName(const DataFileName& name, bool titledb_naming, const std::string& file,
                       std::vector<Finding>* out);

}  // namespace shardtool
