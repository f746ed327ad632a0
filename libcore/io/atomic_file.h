// AtomicFile: the one durable-write path (doc/conventions.md rule 5). Bytes go to a temporary file
// next to the target; Commit() fsyncs it, renames it over the target and fsyncs the directory.
// Destroying an uncommitted AtomicFile removes the temporary, so a failed job leaves the old file
// untouched.
//
// The temporary is "<target><suffix>" (default ".tmp"). doc/format.md §4 forbids ".dat" in any
// temporary inside a collection dir; Open() refuses a temporary name containing ".dat".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "io/file_system.h"

namespace shardtool {

class AtomicFile {
 public:
  AtomicFile(FileSystem* fs, std::string target, std::string temp_suffix = ".tmp");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Status Open();
  Status Append(std::string_view data);
  // fsync temp, rename over target, fsync the directory. After Commit the object is inert.
  Status Commit();
  const std::string& temp_path() const { return temp_; }

 private:
  FileSystem* fs_;
  std::string target_;
  std::string temp_;
  std::unique_ptr<WritableFile> file_;
  bool committed_ = false;
};

// Writes a whole file durably in one call (AtomicFile with one Append).
Status WriteFileAtomically(FileSystem* fs, const std::string& path, std::string_view contents,
                           std::string temp_suffix = ".tmp");

}  // namespace shardtool
