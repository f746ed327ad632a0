// st-check: the independent checker of the reliability campaigns (issue 8). It reads a database
// directory with the format layer only (file listing, parts, the record decoder) — none of the
// merge, import or ingest jobs' code — and prints what a reader of the files would see:
//
//   st-check visible <coll-dir> <rdb>   the visible records, newest file first wins, negatives
//                                       annihilate: "<key> <crc32c of data>" sorted by key
//   st-check files <coll-dir> <rdb>     every record of every file: "<file> <key> <+|-> <crc>"
//   st-check leftovers <coll-dir>       merge targets, .tmp files and other debris: one a line
//
// Keys are hex, most significant byte first, with the delete bit set (the key's identity).
// Exit 0 on success, 8 when a file does not decode (with the file and offset), 2 on usage.
#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/crc32c.h"
#include "catalog/discovery.h"
#include "format/key.h"
#include "format/rdb_registry.h"
#include "io/posix_file_system.h"
#include "iter/data_file.h"
#include "iter/record_scanner.h"

namespace shardtool {
namespace {

struct Seen {
  std::string key;
  bool negative;
  uint32_t crc;
};

int Fail(const Status& s) {
  std::fprintf(stderr, "st-check: %s\n", s.ToString().c_str());
  return s.code() == ErrorCode::kCorruption ? 8 : 7;
}

// Every record of one file, in file order.
Status ReadFile(FileSystem* fs, const std::string& dir, const RdbInfo& rdb, const std::string& name,
                std::vector<Seen>* out) {
  OpenDataFileOptions opt;
  opt.rdb = &rdb;
  auto df = OpenDataFile(fs, dir, name, nullptr, opt, nullptr);
  if (!df.ok()) return df.status();
  RecordScanner s(df->big.get(), rdb, RecordScanner::Options{});
  std::vector<uint8_t> key(static_cast<size_t>(rdb.key_size));
  for (s.SeekToStart(); s.Valid(); s.Next()) {
    const Record& r = s.record();
    std::copy(r.key, r.key + rdb.key_size, key.begin());
    key[0] |= 0x01;  // the delete bit: identity of the key
    out->push_back({KeyHex(key.data(), rdb.key_size), r.negative,
                    r.data_size ? Crc32c(r.data, r.data_size) : 0});
  }
  return s.status();
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: st-check visible|files <coll-dir> <rdb> | leftovers <coll-dir>\n");
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  FileSystem* fs = PosixFS();
  if (mode == "leftovers") {
    auto entries = fs->ListDir(dir);
    if (!entries.ok()) return Fail(entries.status());
    // A merge target: "<name>.mmm.dat|map|crc" (three digits), possibly with ".partN" after.
    auto merge_target = [](const std::string& n) {
      for (const char* ext : {".dat", ".map", ".crc"}) {
        size_t at = n.find(ext);
        while (at != std::string::npos) {
          if (at >= 4 && n[at - 4] == '.' && std::isdigit(static_cast<unsigned char>(n[at - 3])) &&
              std::isdigit(static_cast<unsigned char>(n[at - 2])) &&
              std::isdigit(static_cast<unsigned char>(n[at - 1]))) {
            return true;
          }
          at = n.find(ext, at + 1);
        }
      }
      return false;
    };
    for (const DirEntry& e : *entries) {
      const std::string& n = e.name;
      if (n.find(".tmp") != std::string::npos || merge_target(n) || n.rfind(".", 0) == 0) {
        std::printf("%s\n", n.c_str());
      }
    }
    return 0;
  }
  if (argc != 4 || (mode != "visible" && mode != "files")) {
    std::fprintf(stderr, "st-check: bad arguments\n");
    return 2;
  }
  const RdbInfo* rdb = FindRdb(argv[3]);
  if (rdb == nullptr) {
    std::fprintf(stderr, "st-check: unknown rdb %s\n", argv[3]);
    return 2;
  }
  auto files = ListDataFiles(fs, dir, *rdb);
  if (!files.ok()) return Fail(files.status());
  std::map<std::string, Seen> visible;  // by key; newer files are read later and replace
  for (const CommittedFile& f : *files) {
    if (f.merge) continue;  // an unfinished merge target is not visible to readers
    std::vector<Seen> recs;
    Status st = ReadFile(fs, dir, *rdb, f.name, &recs);
    if (!st.ok()) return Fail(st);
    for (const Seen& s : recs) {
      if (mode == "files") {
        std::printf("%s %s %c %08x\n", f.name.c_str(), s.key.c_str(), s.negative ? '-' : '+',
                    s.crc);
      } else {
        visible[s.key] = s;
      }
    }
  }
  if (mode == "visible") {
    for (const auto& [k, s] : visible) {
      if (!s.negative) std::printf("%s %08x\n", k.c_str(), s.crc);
    }
  }
  return 0;
}

}  // namespace
}  // namespace shardtool

int main(int argc, char** argv) { return shardtool::Main(argc, argv); }
