// The retired-file list of a collection (doc/acquisition.md §6):
// shardtool/journal/retired.<uuid>.json,
//
//   {"uuid": "<uuid>", "files": [{"name": "titledb0001-000.dat", "parts": ["titledb0001-000.dat"],
//                                 "size": 123, "retiredAt": 1700000000, "retiredBy": "merge"}]}
//
// A merge's commit lists its inputs here; from then on they are out of every snapshot's committed
// file set (discovery.h), and they are deleted once no live lease lists them. `name` is the data
// file's part-0 name; `parts` the names of its parts present at retirement (doc/acquisition.md
// §6). A missing list is an empty one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/file_system.h"

namespace shardtool {

struct RetiredFile {
  std::string name;
  std::vector<std::string> parts;
  uint64_t size = 0;
  int64_t retired_at = 0;  // Unix seconds
  std::string retired_by;  // the job, e.g. "merge"
  friend bool operator==(const RetiredFile&, const RetiredFile&) = default;
};

struct RetiredList {
  std::string uuid;
  std::vector<RetiredFile> files;
  bool Contains(std::string_view name) const;
  friend bool operator==(const RetiredList&, const RetiredList&) = default;
};

// CorruptCatalog{path, detail} when the text is not such a document.
Result<RetiredList> ParseRetiredList(std::string_view text, std::string_view path);
std::string SerializeRetiredList(const RetiredList& list);

// Reads the collection's list; an empty list (with `uuid` set) when the file does not exist.
Result<RetiredList> ReadRetiredList(FileSystem* fs, std::string_view workdir,
                                    std::string_view uuid);
// Replaces the collection's list atomically (creating journal/ when needed).
Status WriteRetiredList(FileSystem* fs, std::string_view workdir, const RetiredList& list);

}  // namespace shardtool
