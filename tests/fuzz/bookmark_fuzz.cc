// libFuzzer target: the two import bookmarks (doc/format.md §9). The first byte picks which; the
// rest is the file. Whatever the bytes, reading never crashes and fails only with an error; a
// bookmark that reads is written back and reads again to the same position and counts.
#include <cstdlib>
#include <string>

#include "io/mem_file_system.h"
#include "jobs/import/import_bookmark.h"

namespace {

using shardtool::ErrorCode;

void Check(bool ok) {
  if (!ok) std::abort();
}

void Exact(shardtool::MemFileSystem* fs, const std::string& bytes) {
  const std::string path = "/w/shardtool/bookmarks/import.main.src.json";
  fs->WriteAll(path, bytes);
  auto b = shardtool::ReadImportBookmark(fs, path);
  if (!b.ok()) {
    Check(b.status().code() != ErrorCode::kOk);
    return;
  }
  Check(b->has_value());  // the file exists
  Check(shardtool::WriteImportBookmark(fs, path, **b).ok());
  auto again = shardtool::ReadImportBookmark(fs, path);
  Check(again.ok() && again->has_value());
  const shardtool::ImportBookmark& x = **b;
  const shardtool::ImportBookmark& y = **again;
  Check(x.db == y.db && x.rdb == y.rdb && x.source_dir == y.source_dir && x.pos == y.pos &&
        x.records == y.records && x.negatives_skipped == y.negatives_skipped &&
        x.updated == y.updated);
}

void Legacy(shardtool::MemFileSystem* fs, const std::string& bytes) {
  const std::string path = "/w/lasttitledbinjectinfo.dat";
  fs->WriteAll(path, bytes);
  auto b = shardtool::ReadLegacyBookmark(fs, path);
  if (!b.ok()) {
    Check(b.status().code() != ErrorCode::kOk);
    return;
  }
  Check(b->present);
  if (b->from_start) return;
  Check(shardtool::WriteLegacyBookmark(fs, path, b->pos).ok());
  auto again = shardtool::ReadLegacyBookmark(fs, path);
  Check(again.ok() && again->present && !again->from_start && again->pos == b->pos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  shardtool::MemFileSystem fs;
  Check(fs.CreateDirs("/w/shardtool/bookmarks").ok());
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    Legacy(&fs, bytes);
  } else {
    Exact(&fs, bytes);
  }
  return 0;
}
