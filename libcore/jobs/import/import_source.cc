#include "jobs/import/import_source.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "format/file_name.h"
#include "format/key.h"

namespace shardtool {

Result<SourceScan> ScanImportSource(FileSystem* fs, const std::string& dir, const RdbInfo& rdb) {
  if (!fs->Exists(dir)) return NotFoundStatus("import source " + dir + ": no such directory");
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(dir));
  SourceScan scan;
  std::map<int32_t, std::string> by_id;  // part-0 names of normal files
  std::map<std::string, int32_t> bases;  // every base name seen with its lowest part
  for (const DirEntry& e : entries) {
    if (e.is_dir || e.name.rfind(rdb.name, 0) != 0) continue;
    if (e.name.find(".dat") == std::string::npos) continue;  // maps, sidecars, other files
    auto parsed = ParseDataFileName(e.name);
    if (!parsed || parsed->db != rdb.name ||
        (rdb.titledb_naming ? parsed->ddd < 0 : parsed->ddd >= 0)) {
      AddFinding(
          &scan.findings, "I1", Severity::kNotice, JoinPath(dir, e.name), -1, -1, "",
          "not a data-file name of " + std::string(rdb.name) + " (doc/format.md §4): skipped");
      continue;
    }
    if (parsed->is_merge() || parsed->id % 2 == 0) {
      return FailedPreconditionStatus(
          JoinPath(dir, e.name) +
          ": a merge of the source cluster is in progress (even id); import refuses the "
          "directory until it finishes (I3)");
    }
    const std::string base = parsed->BaseName();
    auto [it, fresh] = bases.emplace(base, parsed->part);
    if (!fresh) it->second = std::min(it->second, parsed->part);
    auto [id_it, id_fresh] = by_id.emplace(parsed->id, base);
    if (!id_fresh && id_it->second != base) {
      return FailedPreconditionStatus(JoinPath(dir, id_it->second) + " and " + JoinPath(dir, base) +
                                      " share file id " + std::to_string(parsed->id) + " (I2)");
    }
  }
  for (const auto& [id, base] : by_id) {
    if (bases[base] != 0) {
      return FailedPreconditionStatus(
          JoinPath(dir, base) +
          ": headless (part 0 is missing: a merge of the source "
          "cluster is consuming it); import refuses the directory (I3)");
    }
    std::vector<Finding> findings;
    ASSIGN_OR_RETURN(
        auto big, BigFile::Open(fs, dir, base, entries, rdb.page_size, 2013265920ULL, &findings));
    if (big->headless()) {
      return FailedPreconditionStatus(JoinPath(dir, base) + ": headless file (I3)");
    }
    scan.files.push_back({id, base, big->logical_size(), big->last_part() + 1});
  }
  return scan;
}

SourceReader::SourceReader(FileSystem* fs, std::string dir, const SourceFile& file,
                           const RdbInfo& rdb, size_t buffer_size)
    : fs_(fs),
      dir_(std::move(dir)),
      file_(file),
      rdb_(rdb),
      buffer_size_(buffer_size),
      decoder_(rdb) {}

Status SourceReader::Open(uint64_t offset) {
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs_->ListDir(dir_));
  ASSIGN_OR_RETURN(
      big_, BigFile::Open(fs_, dir_, file_.name, entries, rdb_.page_size, 2013265920ULL, nullptr));
  size_ = big_->logical_size();
  decoder_.Reset();
  buf_.resize(buffer_size_);
  const std::string path = JoinPath(dir_, file_.name);
  if (offset > size_) {
    return CorruptionStatus(path + ": bookmark offset " + std::to_string(offset) +
                            " is past the end of the file (" + std::to_string(size_) +
                            " bytes) (I8)");
  }
  // Walk the records from 0 to the bookmark: it must be a record boundary.
  SourceRecord rec;
  while (pos_ < offset) {
    ASSIGN_OR_RETURN(bool more, Next(&rec));
    if (!more) {
      if (!findings_.empty() && pos_ < offset) {
        // The file is corrupt before the bookmark: a rerun after I4/I5 stops there too.
        ended_ = true;
        return Status::Ok();
      }
      break;
    }
  }
  if (pos_ != offset) {
    return CorruptionStatus(path + ": bookmark offset " + std::to_string(offset) +
                            " is not a record boundary (the record there starts at " +
                            std::to_string(pos_ - rec.size) + ") (I8)");
  }
  out_of_order_ = 0;
  return Status::Ok();
}

Result<bool> SourceReader::Fill() {
  // Keep the bytes from pos_ on, read more after them.
  const size_t keep = static_cast<size_t>(buf_off_ + buf_len_ - pos_);
  if (keep > 0 && pos_ != buf_off_) {
    std::memmove(buf_.data(), buf_.data() + (pos_ - buf_off_), keep);
  }
  buf_off_ = pos_;
  buf_len_ = keep;
  if (buf_len_ == buf_.size()) buf_.resize(buf_.size() * 2);  // one record larger than the buffer
  const uint64_t avail = size_ - (buf_off_ + buf_len_);
  const size_t n = static_cast<size_t>(std::min<uint64_t>(avail, buf_.size() - buf_len_));
  if (n == 0) return false;
  RETURN_IF_ERROR(big_->Read(buf_off_ + buf_len_, n, buf_.data() + buf_len_));
  buf_len_ += n;
  return true;
}

Result<bool> SourceReader::Next(SourceRecord* out) {
  if (ended_) return false;
  const int ks = rdb_.key_size;
  for (;;) {
    const uint8_t* p = buf_.data() + (pos_ - buf_off_);
    const uint8_t* end = buf_.data() + buf_len_;
    if (pos_ >= size_) {
      ended_ = true;
      return false;
    }
    Record r;
    DecodeStatus s = p < end ? decoder_.Decode(p, end, &r) : DecodeStatus::kTruncated;
    if (s == DecodeStatus::kTruncated) {
      ASSIGN_OR_RETURN(bool more, Fill());
      if (more) continue;
    }
    if (s != DecodeStatus::kOk) {
      Finding f =
          DecodeFailureFinding(rdb_, s, JoinPath(dir_, file_.name), static_cast<int64_t>(pos_));
      f.rule = s == DecodeStatus::kTruncated ? "I5" : "I4";
      f.message += "; the rest of the file (" + std::to_string(size_ - pos_) + " bytes) is skipped";
      findings_.push_back(std::move(f));
      ended_ = true;
      return false;
    }
    if (have_prev_ && CompareKeys(r.key, prev_, ks) < 0) out_of_order_++;
    std::memcpy(prev_, r.key, static_cast<size_t>(ks));
    have_prev_ = true;
    out->key = r.key;
    out->data = r.data;
    out->data_size = r.data_size;
    out->offset = pos_;
    out->size = r.size;
    out->negative = r.negative;
    pos_ += r.size;
    return true;
  }
}

}  // namespace shardtool
