// libFuzzer target: ReadBundle (doc/format.md §10.2, B1-B4) on a bundle whose one stream holds the
// fuzzer's bytes. Byte 0 picks the Rdb (and bit 7 the mode); in "plain" mode the rest is the
// decompressed stream, compressed here with a manifest whose counts and first/last keys are what a
// writer would claim for the records that decode; in "frame" mode the rest is the .zst file itself
// (bytes 1-2: the declared decompressed size). Whatever the bytes, ReadBundle never crashes and
// fails only with Corruption; when it accepts, every record it returns has the Rdb's key size.
#include <cstdlib>
#include <string>

#include "base/crc32c.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"
#include "io/atomic_file.h"
#include "io/mem_file_system.h"
#include "io/zstd_codec.h"
#include "jobs/bundle/bundle_writer.h"

namespace {

using namespace shardtool;

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr const char* kRdbs[] = {"titledb", "posdb", "clusterdb", "linkdb", "tagdb", "spiderdb"};

// What an honest writer would put in the manifest for `plain`: counts and first/last keys of the
// records that decode from the start (up to the first failure).
void Claim(const RdbInfo& rdb, const std::string& plain, BundleStreamInfo* s) {
  RecordDecoder dec(rdb);
  dec.Reset();
  const uint8_t* p = reinterpret_cast<const uint8_t*>(plain.data());
  const uint8_t* end = p + plain.size();
  while (p < end) {
    Record r;
    if (dec.Decode(p, end, &r) != DecodeStatus::kOk) break;
    const std::string hex = KeyHex(r.key, rdb.key_size);
    if (s->records == 0) s->first_key = hex;
    s->last_key = hex;
    s->records++;
    (r.negative ? s->negative : s->positive)++;
    p += r.size;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const RdbInfo* rdb = FindRdb(kRdbs[(data[0] & 0x7f) % (sizeof(kRdbs) / sizeof(kRdbs[0]))]);
  Check(rdb != nullptr);
  const bool frame_mode = (data[0] & 0x80) != 0;

  BundleManifest m;
  m.header.kind = "orphans";
  m.header.created = "2024-01-31T12:00:00Z";
  m.header.database = "main";
  m.header.catalog_epoch = "e";
  m.header.catalog_version = 1;
  m.header.catalog_shard_version = "1|0";
  m.header.target_shard = 1;
  m.rdb = rdb->name;
  m.key_size = rdb->key_size;
  m.fixed_data_size = rdb->fixed_data_size;
  BundleStreamInfo s;
  s.file = "records-0000.zst";
  s.reason = "orphan";
  s.encoding = "records";
  std::string file;
  if (frame_mode) {
    file.assign(reinterpret_cast<const char*>(data + 3), size - 3);
    s.bytes = static_cast<uint64_t>(data[1]) | (static_cast<uint64_t>(data[2]) << 8);
  } else {
    const std::string plain(reinterpret_cast<const char*>(data + 1), size - 1);
    auto frame = ZstdCompressFrame(plain, 1);
    Check(frame.ok());
    file = *frame;
    s.bytes = plain.size();
    Claim(*rdb, plain, &s);
  }
  s.crc32c = Crc32c(file);
  m.positive = s.positive;
  m.negative = s.negative;
  m.first_key = s.first_key;
  m.last_key = s.last_key;
  m.streams.push_back(s);

  MemFileSystem fs;
  const std::string dir = "/w/bundle";
  Check(fs.CreateDirs(dir).ok());
  Check(WriteFileAtomically(&fs, dir + "/" + s.file, file).ok());
  Check(WriteFileAtomically(&fs, dir + "/manifest.json", SerializeBundleManifest(m)).ok());
  auto b = ReadBundle(&fs, dir);
  if (!b.ok()) {
    Check(b.status().code() == ErrorCode::kCorruption);
    return 0;
  }
  Check(b->streams.size() == 1);
  for (const BundleRecord& r : b->streams[0]) {
    Check(r.key.size() == static_cast<size_t>(rdb->key_size));
  }
  return 0;
}
