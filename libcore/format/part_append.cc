#include "format/part_append.h"

#include <algorithm>

namespace shardtool {

Status AppendToParts(std::string_view data, uint64_t part_size, const CreatePart& create_part,
                     std::unique_ptr<WritableFile>* part, int32_t* part_index,
                     uint64_t* part_filled) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (*part_filled == part_size) {
      // The part is full: make it durable and start the next one.
      RETURN_IF_ERROR((*part)->Sync());
      RETURN_IF_ERROR((*part)->Close());
      ++*part_index;
      *part_filled = 0;
      ASSIGN_OR_RETURN(*part, create_part(*part_index));
    }
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(data.size() - pos, part_size - *part_filled));
    RETURN_IF_ERROR((*part)->Append(data.substr(pos, n)));
    *part_filled += n;
    pos += n;
  }
  return Status::Ok();
}

}  // namespace shardtool
