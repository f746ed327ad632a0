// `inspect tree FILE`: one of Gigablast's saved in-memory trees (`<rdb>-saved.dat`,
// `<rdb>-buckets-saved.dat`, format/saved_tree.h) decoded: header, records, findings.
#pragma once

#include <string>

#include "format/saved_tree.h"
#include "io/file_system.h"

namespace shardtool {

struct TreeInspectReport {
  std::string path;
  SavedTreeName name;
  const RdbInfo* rdb = nullptr;  // nullptr: another engine part's tree, not decoded (V6)
  SavedTree tree;
};

// Reads and decodes `path`. The file name says the Rdb and the form; `rdb` (not nullptr)
// overrides the Rdb. NotFound when there is no such file; UsageError when the name is no saved
// tree's and no Rdb is given; defects of the content are findings in the report, never errors.
Result<TreeInspectReport> InspectTree(FileSystem* fs, const std::string& path, const RdbInfo* rdb);

}  // namespace shardtool
