// Appending to a data file that is written part by part (doc/format.md §4), as the import's
// DataFileWriter and the merge's TargetWriter do: bytes go to the open last part until it holds the
// part size; a full part is synced and closed before the next one is created, so every part but
// the last is durable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/status.h"
#include "io/file_system.h"

namespace shardtool {

// Creates part `index` of the data file (called after the previous part was synced and closed).
using CreatePart = std::function<Result<std::unique_ptr<WritableFile>>(int32_t index)>;

// Appends `data` to *part, which is part *part_index and holds *part_filled bytes. Whenever the
// part holds part_size bytes it is synced and closed, *part_index is incremented, *part_filled
// reset and *part replaced by create_part(*part_index), and the rest goes there. On an error the
// writer stops where it was; its state is then only fit to be discarded.
// REQUIRES: *part is open; 0 < part_size; *part_filled <= part_size.
Status AppendToParts(std::string_view data, uint64_t part_size, const CreatePart& create_part,
                     std::unique_ptr<WritableFile>* part, int32_t* part_index,
                     uint64_t* part_filled);

}  // namespace shardtool
