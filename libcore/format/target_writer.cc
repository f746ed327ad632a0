#include "format/target_writer.h"

#include <algorithm>
#include <cstring>

#include "format/file_name.h"
#include "format/part_append.h"
#include "io/test_point.h"

namespace shardtool {
namespace {
constexpr uint64_t kWritebackBytes = uint64_t{4} << 20;
}  // namespace

TargetWriter::TargetWriter(FileSystem* fs, std::string dir, std::string data_name,
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

TargetWriter::~TargetWriter() = default;

std::string TargetWriter::PartPath(int32_t part) const {
  return JoinPath(dir_, PartName(data_name_, part));
}

Status TargetWriter::Create() {
  if (opt_.part_size == 0 || opt_.part_size % (2048ULL * rdb_.page_size) != 0) {
    return InternalErrorStatus("part size " + std::to_string(opt_.part_size) +
                               " is not a multiple of 2048 x " + std::to_string(rdb_.page_size));
  }
  ASSIGN_OR_RETURN(part_, fs_->OpenForWrite(PartPath(0), WriteMode::kCreateExclusive));
  dir_dirty_ = true;
  buf_.resize(std::max<size_t>(opt_.buffer_size, 4096));
  return Status::Ok();
}

Result<TargetWriter::ResumeInfo> TargetWriter::Resume(std::optional<uint64_t> trusted_size) {
  buf_.resize(std::max<size_t>(opt_.buffer_size, 4096));
  const std::string path = JoinPath(dir_, data_name_);
  ASSIGN_OR_RETURN(auto entries, fs_->ListDir(dir_));
  ASSIGN_OR_RETURN(existing_, BigFile::Open(fs_, dir_, data_name_, entries, rdb_.page_size,
                                            opt_.part_size, nullptr));
  if (existing_->headless()) {
    return CorruptionStatus(path + ": the merge target is headless; it cannot be continued");
  }
  if (existing_->parts().size() >= 2 && existing_->part_size() != opt_.part_size) {
    return CorruptionStatus(path + ": parts of " + std::to_string(existing_->part_size()) +
                            " bytes, but the collection's part size is " +
                            std::to_string(opt_.part_size));
  }
  ResumeInfo info;
  const uint64_t L = existing_->logical_size();
  info.logical_size = L;
  if (trusted_size && *trusted_size > L) {
    return CorruptionStatus(path + ": " + std::to_string(L) +
                            " bytes, shorter than its last checkpoint (" +
                            std::to_string(*trusted_size) + " bytes)");
  }

  // §8.7: the stored map is trusted when it passes M1-M3 against the data.
  std::optional<PageMap> stored;
  const std::string map_path = JoinPath(dir_, map_name_);
  if (fs_->Exists(map_path)) {
    ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(fs_, map_path));
    auto parsed = PageMap::Parse(bytes, rdb_.key_size, rdb_.page_size, map_path);
    if (parsed.ok()) {
      std::vector<Finding> findings;
      parsed->CheckStructure(L, 0, opt_.part_size, map_path, &findings);
      const bool passes = std::none_of(findings.begin(), findings.end(), [](const Finding& f) {
        return f.severity == Severity::kError && (f.rule == "M2" || f.rule == "M3");
      });
      if (passes && (!trusted_size ||
                     (parsed->end_offset() == static_cast<int64_t>(L) && *trusted_size == L))) {
        stored = std::move(parsed).value();
      }
    }
  }
  if (stored) {
    map_ = std::move(*stored);
    info.map_trusted = true;
    offset_ = L;
    RETURN_IF_ERROR(ReadExistingCrc(L));
  } else {
    const uint64_t end = trusted_size ? *trusted_size : L;
    uint64_t last_whole = 0;
    RETURN_IF_ERROR(RegenerateMap(end, !trusted_size.has_value(), &last_whole));
    offset_ = last_whole;
    if (!trusted_size) info.truncated = L - last_whole;
  }
  if (records() > 0) {
    encoder_.SeedLastKey(map_.last_key());
  } else {
    encoder_.Reset();
  }
  info.resume_size = offset_;
  if (trusted_size && L > offset_) {
    // Keep the tail for verification; make it durable first, so that bytes verified later are
    // as durable as bytes written.
    verify_end_ = L;
    info.verify_bytes = L - offset_;
    RETURN_IF_ERROR(SyncParts(offset_, L));
  } else {
    existing_.reset();
    RETURN_IF_ERROR(OpenAppendAt(offset_));
  }
  return info;
}

Status TargetWriter::RegenerateMap(uint64_t end, bool stop_at_torn_tail, uint64_t* last_whole) {
  const std::string path = JoinPath(dir_, data_name_);
  const int ks = rdb_.key_size;
  RecordDecoder dec(rdb_);
  dec.Reset();
  std::vector<uint8_t> buf(size_t{1} << 20);
  uint64_t buf_off = 0;
  size_t len = 0, pos = 0;
  uint8_t prev[kMaxKeySize] = {};
  bool have_prev = false;
  Record rec;
  while (true) {
    if (pos == len && buf_off + len >= end) break;  // clean end
    DecodeStatus ds =
        pos < len ? dec.Decode(buf.data() + pos, buf.data() + len, &rec) : DecodeStatus::kTruncated;
    if (ds == DecodeStatus::kTruncated && buf_off + len < end) {
      // Move the partial record to the front and read more.
      std::memmove(buf.data(), buf.data() + pos, len - pos);
      buf_off += pos;
      len -= pos;
      pos = 0;
      if (len == buf.size()) buf.resize(buf.size() * 2);
      const size_t want =
          static_cast<size_t>(std::min<uint64_t>(buf.size() - len, end - buf_off - len));
      RETURN_IF_ERROR(existing_->Read(buf_off + len, want, buf.data() + len));
      len += want;
      continue;
    }
    const uint64_t at = buf_off + pos;
    if (ds == DecodeStatus::kTruncated && stop_at_torn_tail) break;  // a torn last record
    if (ds != DecodeStatus::kOk) {
      return CorruptionStatus(path + ": offset " + std::to_string(at) +
                              ": the merge target does not decode (" +
                              std::string(DecodeStatusRule(ds)) + "); it cannot be continued");
    }
    if (have_prev && CompareKeysNegEq(rec.key, prev, ks) <= 0) {
      return CorruptionStatus(path + ": offset " + std::to_string(at) + ": key " +
                              KeyHex(rec.key, ks) +
                              " does not follow the previous key (L4); the merge target cannot "
                              "be continued");
    }
    map_.AddRecord(at, rec.size, rec.key, rec.negative);
    crc_.Add(buf.data() + pos, rec.size);
    std::memcpy(prev, rec.key, static_cast<size_t>(ks));
    have_prev = true;
    pos += rec.size;
  }
  *last_whole = buf_off + pos;
  return Status::Ok();
}

Status TargetWriter::ReadExistingCrc(uint64_t size) {
  uint64_t from = 0;
  const std::string crc_path = JoinPath(dir_, crc_name_);
  if (fs_->Exists(crc_path)) {
    auto bytes = ReadFileToString(fs_, crc_path);
    if (bytes.ok()) {
      auto sc = CrcSidecar::Parse(*bytes, crc_path);
      if (sc.ok() && sc->data_size == size && sc->page_size == rdb_.page_size) {
        const uint64_t pages = size / rdb_.page_size;
        crc_.ResumeFrom(*sc, pages);
        from = pages * rdb_.page_size;
      }
    }
  }
  std::vector<uint8_t> buf(size_t{1} << 20);
  while (from < size) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - from));
    RETURN_IF_ERROR(existing_->Read(from, n, buf.data()));
    crc_.Add(buf.data(), n);
    from += n;
  }
  return Status::Ok();
}

Status TargetWriter::SyncParts(uint64_t from, uint64_t to) {
  if (to <= from) return Status::Ok();
  const uint64_t first = from / opt_.part_size, last = (to - 1) / opt_.part_size;
  for (uint64_t p = first; p <= last; p++) {
    ASSIGN_OR_RETURN(auto f,
                     fs_->OpenForWrite(PartPath(static_cast<int32_t>(p)), WriteMode::kAppend));
    RETURN_IF_ERROR(f->Sync());
    RETURN_IF_ERROR(f->Close());
  }
  return fs_->SyncDir(dir_);
}

Status TargetWriter::OpenAppendAt(uint64_t offset) {
  const uint64_t P = opt_.part_size;
  const int32_t last = offset == 0 ? 0 : static_cast<int32_t>((offset - 1) / P);
  const uint64_t in_part = offset - static_cast<uint64_t>(last) * P;
  bool dir_changed = false;
  ASSIGN_OR_RETURN(auto entries, fs_->ListDir(dir_));
  for (const DirEntry& e : entries) {
    auto name = ParseDataFileName(e.name);
    if (!name || name->BaseName() != data_name_ || name->part <= last) continue;
    RETURN_IF_ERROR(fs_->RemoveFile(JoinPath(dir_, e.name)));
    dir_changed = true;
  }
  const std::string path = PartPath(last);
  if (fs_->Exists(path)) {
    ASSIGN_OR_RETURN(FileStat st, fs_->Stat(path));
    if (st.size != in_part) RETURN_IF_ERROR(fs_->Truncate(path, in_part));
  } else {
    dir_changed = true;
  }
  ASSIGN_OR_RETURN(part_, fs_->OpenForWrite(path, WriteMode::kAppend));
  if (part_->Size() != in_part) {
    return CorruptionStatus(path + ": " + std::to_string(part_->Size()) + " bytes where " +
                            std::to_string(in_part) + " were expected after truncation");
  }
  RETURN_IF_ERROR(part_->Sync());  // makes a truncation durable
  part_index_ = last;
  part_filled_ = in_part;
  if (dir_changed) RETURN_IF_ERROR(fs_->SyncDir(dir_));
  return Status::Ok();
}

Status TargetWriter::Add(const uint8_t* full_key, const uint8_t* data, uint32_t data_size) {
  const size_t max = encoder_.MaxEncodedSize(data_size);
  if (verify_end_ > offset_) {
    if (rec_.size() < max) rec_.resize(max);
    const size_t n = encoder_.EncodeTo(full_key, data, data_size, rec_.data());
    return AddVerify(rec_.data(), n, full_key);
  }
  if (buf_len_ + max > buf_.size()) {
    RETURN_IF_ERROR(Flush());
    if (max > buf_.size()) buf_.resize(max);
  }
  const size_t n = encoder_.EncodeTo(full_key, data, data_size, buf_.data() + buf_len_);
  map_.AddRecord(offset_, static_cast<uint32_t>(n), full_key, KeyIsNegative(full_key));
  offset_ += n;
  buf_len_ += n;
  return Status::Ok();
}

Status TargetWriter::AddVerify(const uint8_t* rec, size_t n, const uint8_t* full_key) {
  bool same = offset_ + n <= verify_end_;
  if (same) {
    if (offset_ < window_off_ || offset_ + n > window_off_ + window_len_) {
      window_off_ = offset_;
      window_len_ = static_cast<size_t>(
          std::min<uint64_t>(std::max<size_t>(size_t{1} << 20, n), verify_end_ - offset_));
      if (window_.size() < window_len_) window_.resize(window_len_);
      RETURN_IF_ERROR(existing_->Read(window_off_, window_len_, window_.data()));
    }
    same = std::memcmp(window_.data() + (offset_ - window_off_), rec, n) == 0;
  }
  if (!same) {
    // The existing tail ends here (torn) or differs: it is cut, and writing takes over.
    RETURN_IF_ERROR(EndVerify());
    if (buf_.size() < n) buf_.resize(n);
    std::memcpy(buf_.data(), rec, n);
    buf_len_ = n;
  } else {
    crc_.Add(rec, n);
  }
  map_.AddRecord(offset_, static_cast<uint32_t>(n), full_key, KeyIsNegative(full_key));
  offset_ += n;
  // The whole tail matched: appending takes over.
  if (same && offset_ == verify_end_) return EndVerify();
  return Status::Ok();
}

Status TargetWriter::EndVerify() {
  verify_end_ = offset_;
  existing_.reset();
  window_.clear();
  window_.shrink_to_fit();
  window_len_ = 0;
  return OpenAppendAt(offset_);
}

Status TargetWriter::Flush() {
  if (buf_len_ == 0) return Status::Ok();
  crc_.Add(buf_.data(), buf_len_);
  const auto create_part = [this](int32_t index) -> Result<std::unique_ptr<WritableFile>> {
    TEST_POINT("target.after_part_sync");  // the full part was synced and closed
    ASSIGN_OR_RETURN(auto part, fs_->OpenForWrite(PartPath(index), WriteMode::kCreateExclusive));
    dir_dirty_ = true;
    return part;
  };
  RETURN_IF_ERROR(
      AppendToParts(std::string_view(reinterpret_cast<const char*>(buf_.data()), buf_len_),
                    opt_.part_size, create_part, &part_, &part_index_, &part_filled_));
  appended_ += buf_len_;
  buf_len_ = 0;
  // Let the disk work while the merge goes on, so that a checkpoint's fsync waits for little.
  if (appended_ - writeback_at_ >= kWritebackBytes) {
    part_->StartWriteback();
    writeback_at_ = appended_;
  }
  return Status::Ok();
}

Status TargetWriter::Sync() {
  if (verifying()) return Status::Ok();  // the tail was made durable when it was found
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(part_->Sync());
  if (dir_dirty_) {
    RETURN_IF_ERROR(fs_->SyncDir(dir_));
    dir_dirty_ = false;
  }
  return Status::Ok();
}

Status TargetWriter::WriteMetadata() {
  if (verifying()) return InternalErrorStatus("TargetWriter::WriteMetadata while verifying");
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(part_->Sync());
  // The durable-write path of AtomicFile for both files, with one directory fsync for the two
  // renames (and any part created since the last one).
  std::vector<std::pair<std::string, std::string>> files = {
      {JoinPath(dir_, map_name_), map_.Serialize()}};
  if (opt_.write_sidecar) files.push_back({JoinPath(dir_, crc_name_), crc_.Snapshot().Serialize()});
  for (const auto& [path, bytes] : files) {
    ASSIGN_OR_RETURN(auto f, fs_->OpenForWrite(path + ".tmp", WriteMode::kTruncate));
    RETURN_IF_ERROR(f->Append(bytes));
    RETURN_IF_ERROR(f->Sync());
    RETURN_IF_ERROR(f->Close());
  }
  for (const auto& [path, bytes] : files) RETURN_IF_ERROR(fs_->Rename(path + ".tmp", path));
  RETURN_IF_ERROR(fs_->SyncDir(dir_));
  dir_dirty_ = false;
  return Status::Ok();
}

Status TargetWriter::Finish() {
  if (verifying()) RETURN_IF_ERROR(EndVerify());  // an unverified tail is not the merge's
  RETURN_IF_ERROR(WriteMetadata());               // ends with the directory fsync
  return part_->Close();
}

}  // namespace shardtool
