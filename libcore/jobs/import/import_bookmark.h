// Import bookmarks (doc/format.md §9).
//
// shardtool's exact bookmark "shardtool/bookmarks/import.<db>.<srcid>.json" in the importing
// working dir: {"schema_version":1,"db","source_dir","file_id","offset","records",
// "negatives_skipped","updated"} (plus "rdb"). It is replaced atomically, and only after every
// record before (file_id, offset) is durable and visible on every target.
//
// Gigablast's bookmark "lasttitledbinjectinfo.dat": ASCII "<offset>,<fileId>", no newline. It is
// read only when no exact bookmark exists; a "-1,-1", empty or 1-byte one means "from the
// beginning" (with a warning: GB bug 2). It is rewritten with the exact position after each
// batch (never "-1,-1").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "io/file_system.h"
#include "jobs/import/import_source.h"

namespace shardtool {

struct ImportBookmark {
  std::string db, rdb, source_dir;
  SourcePos pos;
  int64_t records = 0;
  int64_t negatives_skipped = 0;
  int64_t updated = 0;  // Unix seconds
};

std::string ImportBookmarkPath(const std::string& workdir, const std::string& db,
                               const std::string& srcid);
// nullopt when the file does not exist; Corruption when it is unreadable.
Result<std::optional<ImportBookmark>> ReadImportBookmark(FileSystem* fs, const std::string& path);
Status WriteImportBookmark(FileSystem* fs, const std::string& path, const ImportBookmark& b);

struct LegacyBookmark {
  bool present = false;
  bool from_start = false;  // "-1,-1", empty or 1 byte: start from the beginning (warn)
  SourcePos pos;
  std::string text;
};
Result<LegacyBookmark> ReadLegacyBookmark(FileSystem* fs, const std::string& path);
Status WriteLegacyBookmark(FileSystem* fs, const std::string& path, const SourcePos& pos);

}  // namespace shardtool
