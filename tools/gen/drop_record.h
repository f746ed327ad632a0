// A data file that lost one record, byte-correct (cluster tests: a mirror that lost a record must
// be found by the digests alone, verify itself finding nothing): the file is read and written
// anew without that record through DataFileWriter (data, map and, when the file had one, checksum
// sidecar), then renamed over the old files. One-part files only.
#pragma once

#include <cstdint>
#include <string>

#include "io/file_system.h"

namespace shardtool::gen {

struct DroppedRecord {
  std::string key;      // hex, of the record dropped
  int64_t records = 0;  // left in the file
};

// Drops record `index` (0-based, in file order) of dir/data_name, or with index < 0 its middle
// positive record. Errors: the file's (NotFound, Corruption when it does not decode), UsageError
// for an index past the end, a file without positive records or a file of several parts.
Result<DroppedRecord> DropRecord(FileSystem* fs, const std::string& dir,
                                 const std::string& data_name, int64_t index);

}  // namespace shardtool::gen
