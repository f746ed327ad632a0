#include "gen/drop_record.h"

#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "iter/data_file.h"
#include "iter/file_stream.h"

namespace shardtool::gen {
namespace {

// Calls fn(record, index) for each record of the file, in order.
template <typename Fn>
Status EachRecord(const DataFile& df, Fn&& fn) {
  FileStream s(&df, size_t{1} << 20);
  int64_t i = 0;
  for (s.SeekToFirst(); s.Valid(); s.Next()) RETURN_IF_ERROR(fn(s.record(), i++));
  return s.status();
}

}  // namespace

Result<DroppedRecord> DropRecord(FileSystem* fs, const std::string& dir,
                                 const std::string& data_name, int64_t index) {
  ASSIGN_OR_RETURN(DataFile df, OpenDataFile(fs, dir, data_name, nullptr, {}, nullptr));
  const RdbInfo& rdb = *df.rdb;
  if (df.big->parts().size() != 1 || df.big->headless()) {
    return UsageErrorStatus(JoinPath(dir, data_name) + ": only files of one part");
  }
  if (index < 0) {
    std::vector<int64_t> positives;
    RETURN_IF_ERROR(EachRecord(df, [&](const Record& r, int64_t i) {
      if (!r.negative) positives.push_back(i);
      return Status::Ok();
    }));
    if (positives.empty()) {
      return UsageErrorStatus(JoinPath(dir, data_name) + ": no positive record to drop");
    }
    index = positives[positives.size() / 2];
  }
  const std::string tmp = "drop-record.tmp";
  DataFileWriter::Options wo;
  wo.part_size = df.big->part_size();
  wo.write_sidecar = df.has_crc;
  DataFileWriter w(fs, dir, tmp + ".dat", tmp + ".map", tmp + ".crc", rdb, wo);
  RETURN_IF_ERROR(w.Open());
  DroppedRecord out;
  RETURN_IF_ERROR(EachRecord(df, [&](const Record& r, int64_t i) {
    if (i == index) {
      out.key = KeyHex(r.key, rdb.key_size);
      return Status::Ok();
    }
    return w.Add(r.key, r.data, r.data_size);
  }));
  if (out.key.empty()) {
    return UsageErrorStatus(JoinPath(dir, data_name) + ": no record " + std::to_string(index));
  }
  RETURN_IF_ERROR(w.Finish());
  out.records = w.records();
  RETURN_IF_ERROR(fs->Rename(JoinPath(dir, tmp + ".dat"), JoinPath(dir, data_name)));
  RETURN_IF_ERROR(fs->Rename(JoinPath(dir, tmp + ".map"), JoinPath(dir, df.map_name)));
  if (df.has_crc) {
    RETURN_IF_ERROR(fs->Rename(JoinPath(dir, tmp + ".crc"), JoinPath(dir, df.crc_name)));
  }
  return out;
}

}  // namespace shardtool::gen
