// Data-file names (doc/format.md §4), parsed and formatted in one place.
//
//   normal          <db>NNNN.dat          titledb: titledbNNNN-DDD.dat
//   merge target    <db>NNNN.mmm.dat      titledb: titledbNNNN-000.mmm.dat
//   part n >= 1     <data name>.part<n>
//   map / sidecar   <db>NNNN.map / <db>NNNN.crc  (never -DDD or .mmm)
// Ids are decimal, zero-padded to 4 digits (5 when >= 10000).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardtool {

struct DataFileName {
  std::string db;            // Rdb name, e.g. "titledb"
  int32_t id = 0;            // file id
  int32_t ddd = -1;          // titledb "-DDD" value, -1 when absent
  int32_t merge_files = -1;  // "mmm" of a merge target, -1 for a normal file
  int32_t part = 0;          // 0 = the bare name, n >= 1 = ".part<n>"

  bool is_merge() const { return merge_files >= 0; }
  // The data name without any part suffix ("titledb0003-000.dat").
  std::string BaseName() const;
  // The full name including ".part<n>" when part >= 1.
  std::string ToString() const;
};

// Parses any data-file name form (with or without .partN). nullopt when it is not one: wrong
// pattern, id not 4-5 digits, mmm not exactly 3 digits, DDD not 3 digits, trailing junk.
// Only the canonical spelling parses, so ToString() gives the name back: a 5-digit id must be
// >= 10000 ("posdb00001.dat" is rejected although GbWouldLoad is true for it), and n in ".part<n>"
// is >= 1 without leading zeros. db is one or more lower-case ASCII letters. Parsing is syntax
// only: an even id without mmm, "titledb0003.dat" (no -DDD) or mmm 000 parse, for checks D4/D5/D8.
std::optional<DataFileName> ParseDataFileName(std::string_view name);

// "0003" / "12345".
std::string FormatFileId(int32_t id);
// Names for an Rdb and id. titledb_naming adds "-000" to data names.
std::string DataName(std::string_view db, int32_t id, bool titledb_naming);
std::string MergeName(std::string_view db, int32_t id, int32_t merge_files, bool titledb_naming);
std::string MapName(std::string_view db, int32_t id);
std::string CrcName(std::string_view db, int32_t id);
std::string PartName(std::string_view data_name, int32_t part);

// True when a name is one GB would try to load as a data file of `db` (contains ".dat", starts
// with db, 4 or 5 digits follow). Like GB's scan it only looks at the first 4 digits (and the name
// length), so it is true for some names ParseDataFileName rejects, e.g. "posdb00001.dat".
bool GbWouldLoad(std::string_view name, std::string_view db);

// Map and sidecar names "<db>NNNN.map" / "<db>NNNN.crc" (never -DDD, .mmm or .partN).
enum class MetaFileKind { kMap, kCrc };
struct MetaFileName {
  std::string db;
  int32_t id = 0;
  MetaFileKind kind = MetaFileKind::kMap;
};
// nullopt when the name is not exactly one of those forms (same id rules as data names).
std::optional<MetaFileName> ParseMetaFileName(std::string_view name);

}  // namespace shardtool
