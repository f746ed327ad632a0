// Inspect jobs: look inside one data file, its map, or its records (doc/architecture.md §4,
// `inspect file|map|records`). Plain report structs; the CLI renders them as text or JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "format/big_file.h"
#include "format/finding.h"
#include "format/key.h"
#include "format/page_map.h"
#include "iter/data_file.h"

namespace shardtool {

struct InspectFileOptions {
  uint64_t default_part_size = 2013265920ULL;
  const RdbInfo* rdb = nullptr;  // override the Rdb named by the file name
};

struct FileReport {
  std::string path;  // the data file (part 0 name) as the caller named its directory
  const RdbInfo* rdb = nullptr;
  DataFileName name;
  std::vector<PartInfo> parts, islands;
  uint64_t part_size = 0;
  uint64_t logical_size = 0;
  int32_t first_part = 0;
  bool headless = false;
  std::string map_name;
  bool map_ok = false;
  std::string map_error;  // why there is no usable map
  int64_t map_pages = 0, end_offset = 0, chopped_head = 0, positive = 0, negative = 0;
  std::string first_key, last_key;  // hex; empty when the file holds no record
  std::string crc_name;
  bool crc_present = false;
  std::vector<Finding> findings;  // name, part and structural map findings (D*, M2-M6, M9)
};

Result<FileReport> InspectFile(FileSystem* fs, const std::string& path,
                               const InspectFileOptions& opt);

struct MapReport {
  std::string path;  // the map file
  const RdbInfo* rdb = nullptr;
  std::optional<PageMap> map;
};

Result<MapReport> InspectMap(FileSystem* fs, const std::string& path,
                             const InspectFileOptions& opt);

struct RecordsOptions {
  InspectFileOptions file;
  std::string start_hex,
      end_hex;         // inclusive bounds, hex (empty: unbounded); parsed with the Rdb's key size
  uint64_t limit = 0;  // 0 = all
};

// One record as inspect shows it. key and data are valid during the callback only.
struct RecordEntry {
  uint64_t offset = 0;
  const uint8_t* key = nullptr;
  bool negative = false;
  uint32_t data_size = 0;
  const uint8_t* data = nullptr;
};

// Calls `fn` for each record in [start, end] (through the map when one is usable, else by a
// scan from the start), up to limit. Returns the Rdb; a decoding failure is a located Corruption.
Result<const RdbInfo*> InspectRecords(
    FileSystem* fs, const std::string& path, const RecordsOptions& opt,
    const std::function<void(const RdbInfo&, const RecordEntry&)>& fn);

}  // namespace shardtool
