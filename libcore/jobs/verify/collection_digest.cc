#include "jobs/verify/collection_digest.h"

#include <cstring>
#include <memory>

#include "iter/data_file.h"
#include "iter/file_stream.h"
#include "iter/merging_iterator.h"

namespace shardtool {

Hash128 RecordHash128(const uint8_t* key, int key_size, const uint8_t* data, uint32_t data_size) {
  const Hash128 k = HashBytes128(key, static_cast<size_t>(key_size), 0x6b6579);       // "key"
  const Hash128 d = HashBytes128(data, data != nullptr ? data_size : 0, 0x64617461);  // "data"
  uint8_t both[32];
  for (int i = 0; i < 8; i++) {
    both[i] = static_cast<uint8_t>(k.lo >> (8 * i));
    both[8 + i] = static_cast<uint8_t>(k.hi >> (8 * i));
    both[16 + i] = static_cast<uint8_t>(d.lo >> (8 * i));
    both[24 + i] = static_cast<uint8_t>(d.hi >> (8 * i));
  }
  return HashBytes128(both, sizeof both, 0x726563);  // "rec"
}

Result<CollectionDigest> DigestCollection(FileSystem* fs, const VerifyCollection& c,
                                          const DigestOptions& opt) {
  CollectionDigest out;
  out.ns = c.ns;
  if (c.rdb == nullptr) return InternalErrorStatus(c.ns + ": no Rdb");
  out.rdb = std::string(c.rdb->name);
  std::vector<std::unique_ptr<DataFile>> files;
  std::vector<std::unique_ptr<FileStream>> streams;
  std::vector<RecordStream*> inputs;
  OpenDataFileOptions oo;
  oo.default_part_size = c.part_size;
  oo.rdb = c.rdb;
  for (const std::string& name : c.data_files) {
    ASSIGN_OR_RETURN(DataFile f, OpenDataFile(fs, c.dir, name, nullptr, oo, nullptr));
    files.push_back(std::make_unique<DataFile>(std::move(f)));
    streams.push_back(std::make_unique<FileStream>(files.back().get(), opt.buffer_per_file));
    inputs.push_back(streams.back().get());
  }
  if (inputs.empty()) return out;
  const int ks = c.rdb->key_size;
  MergingIterator it(inputs, ks);
  uint64_t n = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (++n % opt.yield_every == 0) {
      if (opt.stop != nullptr && opt.stop->load()) return InterruptedStatus("verify interrupted");
      if (opt.yield) RETURN_IF_ERROR(opt.yield());
    }
    const Record& rec = it.record();
    if (rec.negative) continue;
    out.digest.Add(RecordHash128(rec.key, ks, rec.data, rec.data_size));
    out.records++;
  }
  RETURN_IF_ERROR(it.status());
  for (const auto& s : streams) RETURN_IF_ERROR(s->status());
  return out;
}

}  // namespace shardtool
