// DataFile: one data file of a collection dir opened with its companions — the parts (BigFile),
// the page map (<db>NNNN.map) and the checksum sidecar (<db>NNNN.crc) — as inspect, verify and the
// readers need them. Opening never fails for a missing or bad map: that is recorded (D6, M1) and
// the file is still readable from its start.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/big_file.h"
#include "format/file_name.h"
#include "format/page_map.h"
#include "format/rdb_registry.h"

namespace shardtool {

struct DataFile {
  const RdbInfo* rdb = nullptr;
  DataFileName name;
  std::unique_ptr<BigFile> big;
  std::string map_name;        // "<db>NNNN.map" (whether present or not)
  std::optional<PageMap> map;  // nullopt: missing (D6) or unparsable (M1); see map_status
  Status map_status;
  std::string crc_name;  // "<db>NNNN.crc"
  bool has_crc = false;

  // Logical offset of the first record a reader can reach: 0, or for a headless file the first
  // record starting in a present part (found through the map), with its key for seeding.
  // Corruption when the file is headless and has no usable map.
  Result<std::pair<uint64_t, const uint8_t*>> FirstReadable() const;
};

struct OpenDataFileOptions {
  uint64_t default_part_size = 2013265920ULL;  // GB's MAX_PART_SIZE
  const RdbInfo* rdb = nullptr;                // override the Rdb named by the file name
  uint64_t max_map_size = uint64_t{1} << 31;   // a larger map is refused (hostile input)
};

// Opens `data_name` (part-0 name) in `dir`. entries: a listing of dir (nullptr: list it here).
// Findings about parts and names (D1-D8) are appended to *findings (may be null).
Result<DataFile> OpenDataFile(FileSystem* fs, const std::string& dir, const std::string& data_name,
                              const std::vector<DirEntry>* entries, const OpenDataFileOptions& opt,
                              std::vector<Finding>* findings);

// Resolves a path naming a data file, any of its parts, or its map (e.g.
// "coll.main.0/posdb0003.map") to the directory and part-0 data name; NotFound / UsageError with
// the path otherwise.
Result<std::pair<std::string, std::string>> ResolveDataFilePath(FileSystem* fs,
                                                                const std::string& path);

}  // namespace shardtool
