#include "testing/digest_reference.h"

#include <memory>

#include "iter/data_file.h"
#include "iter/file_stream.h"
#include "iter/merging_iterator.h"

namespace shardtool::testing {

Result<CollectionDigest> ReferenceDigest(FileSystem* fs, const VerifyCollection& c) {
  CollectionDigest out;
  out.ns = c.ns;
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
    streams.push_back(std::make_unique<FileStream>(files.back().get(), size_t{256} << 10));
    inputs.push_back(streams.back().get());
  }
  if (inputs.empty()) return out;
  const int ks = c.rdb->key_size;
  MergingIterator it(inputs, ks);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const Record& rec = it.record();
    if (rec.negative) continue;
    out.digest.Add(RecordHash128(rec.key, ks, rec.data, rec.data_size));
    out.records++;
  }
  RETURN_IF_ERROR(it.status());
  for (const auto& s : streams) RETURN_IF_ERROR(s->status());
  return out;
}

}  // namespace shardtool::testing
