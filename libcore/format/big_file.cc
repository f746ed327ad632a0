#include "format/big_file.h"

#include <algorithm>
#include <map>

namespace shardtool {

Result<std::unique_ptr<BigFile>> BigFile::Open(FileSystem* fs, const std::string& dir,
                                               const std::string& data_name,
                                               const std::vector<DirEntry>& entries,
                                               uint32_t page_size, uint64_t default_part_size,
                                               std::vector<Finding>* findings) {
  std::vector<Finding> scratch;
  if (findings == nullptr) findings = &scratch;
  const std::string rel = JoinPath(dir, data_name);

  // Collect every present part of this data name: the bare name is part 0.
  std::map<int32_t, PartInfo> present;
  for (const DirEntry& e : entries) {
    if (e.is_dir) continue;
    int32_t part = -1;
    if (e.name == data_name) {
      part = 0;
    } else if (e.name.size() > data_name.size() + 5 &&
               e.name.compare(0, data_name.size(), data_name) == 0 &&
               e.name.compare(data_name.size(), 5, ".part") == 0) {
      auto parsed = ParseDataFileName(e.name);
      if (parsed && parsed->part >= 1 && parsed->BaseName() == data_name) part = parsed->part;
    }
    if (part < 0) continue;
    if (e.is_symlink) {
      AddFinding(findings, "D1", Severity::kError, rel, -1, -1, "",
                 "part " + e.name + " is a symbolic link: not read");
      continue;
    }
    ASSIGN_OR_RETURN(FileStat st, fs->Stat(JoinPath(dir, e.name)));
    present[part] = PartInfo{part, e.name, st.size};
  }
  if (present.empty()) return NotFoundStatus(rel + ": no part of this data file is present");

  auto file = std::unique_ptr<BigFile>(new BigFile());
  file->fs_ = fs;
  file->dir_ = dir;
  file->name_ = data_name;
  file->last_part_ = present.rbegin()->first;
  // The contiguous run ending at the last part; anything below a gap is an island (D3).
  int32_t h = file->last_part_;
  while (h > 0 && present.count(h - 1)) h--;
  file->first_part_ = h;
  for (auto& [idx, info] : present) {
    (idx >= h ? file->parts_ : file->islands_).push_back(info);
  }
  for (const PartInfo& island : file->islands_) {
    AddFinding(findings, "D3", Severity::kError, rel, -1, -1, "",
               "part " + std::to_string(island.index) + " (" + island.name +
                   ") lies below a gap in the parts: a stale island, ignored");
  }
  if (file->parts_.size() >= 2) {
    file->part_size_ = file->parts_.front().size;
  } else {
    file->part_size_ = default_part_size;
  }
  if (file->part_size_ == 0) {
    return CorruptionStatus(rel + ": part " + std::to_string(file->parts_.front().index) +
                            " is empty but more parts follow (D1)");
  }
  for (size_t i = 0; i + 1 < file->parts_.size(); i++) {
    if (file->parts_[i].size != file->part_size_) {
      AddFinding(
          findings, "D1", Severity::kError, rel,
          static_cast<int64_t>(file->parts_[i].index) * static_cast<int64_t>(file->part_size_), -1,
          "",
          "part " + std::to_string(file->parts_[i].index) + " has " +
              std::to_string(file->parts_[i].size) + " bytes, not the part size " +
              std::to_string(file->part_size_));
      return CorruptionStatus(rel + ": part " + std::to_string(file->parts_[i].index) + " has " +
                              std::to_string(file->parts_[i].size) + " bytes where " +
                              std::to_string(file->part_size_) + " are expected (D1)");
    }
  }
  if (file->parts_.back().size > file->part_size_) {
    AddFinding(findings, "D1", Severity::kError, rel, -1, -1, "",
               "last part " + std::to_string(file->last_part_) + " has " +
                   std::to_string(file->parts_.back().size) + " bytes, more than the part size " +
                   std::to_string(file->part_size_));
    return CorruptionStatus(rel + ": last part is larger than the part size (D1)");
  }
  const uint64_t unit = 2048ULL * page_size;
  if (file->parts_.size() >= 2 && file->part_size_ % unit != 0) {
    AddFinding(findings, "D2", Severity::kError, rel, -1, -1, "",
               "part size " + std::to_string(file->part_size_) + " is not a multiple of 2048 x " +
                   std::to_string(page_size));
  }
  file->logical_size_ =
      static_cast<uint64_t>(file->last_part_) * file->part_size_ + file->parts_.back().size;
  if (h > 0) {
    AddFinding(findings, "D7", Severity::kNotice, rel, static_cast<int64_t>(file->first_offset()),
               -1, "",
               "headless: parts 0.." + std::to_string(h - 1) +
                   " are gone (merged); h = " + std::to_string(h));
  }
  file->open_.resize(file->parts_.size());
  return file;
}

Status BigFile::Read(uint64_t offset, size_t n, uint8_t* dst) {
  if (offset + n > logical_size_ || offset < first_offset()) {
    return CorruptionStatus(path() + ": read of " + std::to_string(n) + " bytes at offset " +
                            std::to_string(offset) + " is outside the readable data [" +
                            std::to_string(first_offset()) + ", " + std::to_string(logical_size_) +
                            ")");
  }
  while (n > 0) {
    const uint64_t part = offset / part_size_;
    const uint64_t in_part = offset % part_size_;
    const size_t idx = static_cast<size_t>(part - static_cast<uint64_t>(first_part_));
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, part_size_ - in_part));
    if (!open_[idx]) {
      ASSIGN_OR_RETURN(open_[idx], fs_->OpenForRead(JoinPath(dir_, parts_[idx].name)));
    }
    RETURN_IF_ERROR(ReadWithRetry(fs_, open_[idx].get(), in_part, chunk, dst, retry_));
    offset += chunk;
    dst += chunk;
    n -= chunk;
  }
  return Status::Ok();
}

void CheckMergeFiles(const std::vector<DataFileName>& files, const std::string& dir,
                     std::vector<Finding>* out) {
  for (const DataFileName& m : files) {
    if (!m.is_merge() || m.part != 0) continue;
    int32_t following = 0;
    for (const DataFileName& f : files) {
      if (!f.is_merge() && f.part == 0 && f.db == m.db && f.id > m.id) following++;
    }
    if (following > m.merge_files) {
      AddFinding(out, "D9", Severity::kError, JoinPath(dir, m.BaseName()), -1, -1, "",
                 "merge file of " + std::to_string(m.merge_files) + " files is followed by " +
                     std::to_string(following) +
                     " files with higher ids: not a recognisable merge");
    }
  }
}

void CheckDataFileName(const DataFileName& name, bool titledb_naming, const std::string& file,
                       std::vector<Finding>* out) {
  if (!name.is_merge() && name.id % 2 == 0) {
    AddFinding(out, "D4", Severity::kError, file, -1, -1, "",
               "a normal data file has an even id " + std::to_string(name.id));
  }
  if (name.is_merge() && (name.id % 2 != 0 || name.merge_files < 1)) {
    AddFinding(out, "D4", Severity::kError, file, -1, -1, "",
               "a merge file needs an even id and mmm >= 1");
  }
  if (titledb_naming && name.ddd < 0) {
    AddFinding(out, "D5", Severity::kError, file, -1, -1, "",
               "a titledb data name without -DDD (Gigablast halts on it)");
  }
  if (titledb_naming && name.ddd > 0) {
    AddFinding(out, "D8", Severity::kNotice, file, -1, -1, "",
               "titledb -DDD is " + std::to_string(name.ddd) +
                   ", not 000: Gigablast's import opens only -000");
  }
}

}  // namespace shardtool
