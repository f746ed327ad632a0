#include "format/data_file_writer.h"

#include <algorithm>

#include "format/file_name.h"
#include "format/part_append.h"
#include "io/atomic_file.h"

namespace shardtool {

DataFileWriter::DataFileWriter(FileSystem* fs, std::string dir, std::string data_name,
                               std::string map_name, std::string crc_name, const RdbInfo& rdb,
                               Options options)
    : fs_(fs),
      dir_(std::move(dir)),
      data_name_(std::move(data_name)),
      map_name_(std::move(map_name)),
      crc_name_(std::move(crc_name)),
      rdb_(rdb),
      opt_(options),
      encoder_(rdb),
      map_(rdb.key_size, rdb.page_size),
      crc_(rdb.page_size) {}

DataFileWriter::~DataFileWriter() = default;

Status DataFileWriter::Open() {
  if (opt_.part_size == 0 || opt_.part_size % (2048ULL * rdb_.page_size) != 0) {
    return InternalErrorStatus("part size " + std::to_string(opt_.part_size) +
                               " is not a multiple of 2048 x " + std::to_string(rdb_.page_size));
  }
  ASSIGN_OR_RETURN(part_,
                   fs_->OpenForWrite(JoinPath(dir_, data_name_), WriteMode::kCreateExclusive));
  buf_cap_ = std::max<size_t>(opt_.buffer_size, 4096);
  buf_ = std::make_unique_for_overwrite<uint8_t[]>(buf_cap_);
  buf_len_ = 0;
  return Status::Ok();
}

Status DataFileWriter::Add(const uint8_t* full_key, const uint8_t* data, uint32_t data_size) {
  const size_t max = encoder_.MaxEncodedSize(data_size);
  if (buf_len_ + max > buf_cap_) {
    RETURN_IF_ERROR(Flush());
    if (max > buf_cap_) {  // a record larger than the buffer: a buffer of its size
      buf_cap_ = max;
      buf_ = std::make_unique_for_overwrite<uint8_t[]>(buf_cap_);
    }
  }
  uint8_t* at = buf_.get() + buf_len_;
  const size_t n = encoder_.EncodeTo(full_key, data, data_size, at);
  map_.AddRecord(offset_, static_cast<uint32_t>(n), full_key, KeyIsNegative(full_key));
  crc_.Add(at, n);
  offset_ += n;
  buf_len_ += n;
  if (buf_len_ >= opt_.buffer_size) return Flush();
  return Status::Ok();
}

Status DataFileWriter::Flush() {
  const auto create_part = [this](int32_t index) {
    return fs_->OpenForWrite(JoinPath(dir_, PartName(data_name_, index)),
                             WriteMode::kCreateExclusive);
  };
  RETURN_IF_ERROR(
      AppendToParts(std::string_view(reinterpret_cast<const char*>(buf_.get()), buf_len_),
                    opt_.part_size, create_part, &part_, &part_index_, &part_filled_));
  buf_len_ = 0;
  // Let the disk work while records are still being added, so that Finish's fsync waits for
  // little (as the merge's TargetWriter does).
  if (offset_ - writeback_at_ >= kWritebackBytes) {
    part_->StartWriteback();
    writeback_at_ = offset_;
  }
  return Status::Ok();
}

Status DataFileWriter::Drain() {
  RETURN_IF_ERROR(Flush());
  part_->StartWriteback();
  writeback_at_ = offset_;
  return Status::Ok();
}

Status DataFileWriter::Finish() {
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(part_->Sync());
  RETURN_IF_ERROR(part_->Close());
  RETURN_IF_ERROR(WriteFileAtomically(fs_, JoinPath(dir_, map_name_), map_.Serialize()));
  if (opt_.write_sidecar) {
    RETURN_IF_ERROR(WriteFileAtomically(fs_, JoinPath(dir_, crc_name_), crc_.Finish().Serialize()));
  }
  return fs_->SyncDir(dir_);
}

}  // namespace shardtool
