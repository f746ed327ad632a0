// Golden files written by the real Gigablast engine (tests/data/gigablast) and parsers for
// Gigablast's own dumps of them, so tests can compare shardtool's decoding record by record.
//
// Each dump gives a record's key in its Rdb's own field form; ParseGoldenDump rebuilds the full key
// as hex, most significant byte first (doc/format.md §1):
//   posdb, linkdb  k=0x<hex>                         the key itself
//   titledb        n1=<8 hex> n0=<16 hex>            n1 = key bytes 8..11, n0 = bytes 0..7
//   clusterdb      k.n1=<8 hex> k.n0=<16 hex>        the same split
//   tagdb          k.hsthash=<16> k.duphash=<8> k.sitehash=<8>
//                                                    bytes 8..15, 4..7 and 0..3 (sitehash holds
//                                                    the delbit)
// so in every case the fields are concatenated from the most significant down.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace shardtool::testing {

struct GoldenFile {
  const char* rdb;   // registry name
  const char* dat;   // data file in coll.main.0/
  const char* map;   // its map
  const char* dump;  // Gigablast's dump in dumps/
  int64_t positive;  // record counts of the README table
  int64_t negative;
};
std::span<const GoldenFile> GoldenFiles();

struct DumpRecord {
  std::string key_hex;       // full key, most significant byte first
  bool negative = false;     // the dump marks it "(delete)" / "(del)"
  int64_t stored_size = -1;  // posdb "rs=": stored bytes (6, 12 or 18); -1 elsewhere
  int64_t data_size = -1;    // titledb "size=": the i32 dataSize field; -1 elsewhere
  std::string tag_value;     // tagdb: the last quoted TAG field (the tag's value text)
};

// Parses a dump of `rdb` (lines that are not records, such as posdb's "ek=", are skipped).
// Returns false with *error set on an unreadable file or a malformed record line.
bool ParseGoldenDump(const std::string& rdb, const std::string& path, std::vector<DumpRecord>* out,
                     std::string* error);

// Whole-file read; false if the file cannot be read.
bool ReadFileBytes(const std::string& path, std::string* out);

// Paths of the golden data and dump directories.
std::string GoldenDataDir();
std::string GoldenDumpDir();

}  // namespace shardtool::testing
