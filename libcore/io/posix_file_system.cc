#include "io/file_system.h"

namespace shardtool {
FileSystem* PosixFS() { return nullptr; }  // replaced by the io implementation
}  // namespace shardtool
