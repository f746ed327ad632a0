#include "jobs/import/import_spill.h"

#include <algorithm>

#include "base/coding.h"
#include "format/key.h"
#include "io/test_point.h"

namespace shardtool {
namespace {

constexpr size_t kSpillBlockHeader = 8;           // raw_size, frame_size
constexpr size_t kSpillRecordHeader = 4 + 4 + 8;  // data_size, file id, offset
// A block never holds more than this (one record at most 500 000 000 data bytes, I4).
constexpr uint64_t kSpillMaxBlock = uint64_t{600} << 20;

}  // namespace

SpillRunWriter::SpillRunWriter(FileSystem* fs, std::string path, int key_size)
    : fs_(fs), path_(std::move(path)), ks_(key_size) {}

Status SpillRunWriter::Open() {
  ASSIGN_OR_RETURN(file_, fs_->OpenForWrite(path_, WriteMode::kTruncate));
  raw_.reserve(kSpillBlockSize + 1024);
  return Status::Ok();
}

Status SpillRunWriter::Add(const SpillRecord& rec) {
  raw_.append(reinterpret_cast<const char*>(rec.key), static_cast<size_t>(ks_));
  AppendLE32(&raw_, rec.data_size);
  AppendLE32(&raw_, static_cast<uint32_t>(rec.pos.file_id));
  AppendLE64(&raw_, rec.pos.offset);
  if (rec.data_size > 0) raw_.append(reinterpret_cast<const char*>(rec.data), rec.data_size);
  ++records_;
  if (raw_.size() >= kSpillBlockSize) return FlushBlock();
  return Status::Ok();
}

Status SpillRunWriter::FlushBlock() {
  if (raw_.empty()) return Status::Ok();
  RETURN_IF_ERROR(codec_.Compress(raw_, &frame_));
  std::string header;
  AppendLE32(&header, static_cast<uint32_t>(raw_.size()));
  AppendLE32(&header, static_cast<uint32_t>(frame_.size()));
  RETURN_IF_ERROR(file_->Append(header));
  RETURN_IF_ERROR(file_->Append(frame_));
  bytes_ += header.size() + frame_.size();
  raw_.clear();
  return Status::Ok();
}

Status SpillRunWriter::Finish() {
  RETURN_IF_ERROR(FlushBlock());
  return file_->Close();
}

SpillRunReader::SpillRunReader(FileSystem* fs, std::string path, int key_size,
                               ZstdBlockCodec* codec)
    : fs_(fs), path_(std::move(path)), ks_(key_size), codec_(codec) {}

Status SpillRunReader::Open() {
  ASSIGN_OR_RETURN(file_, fs_->OpenForRead(path_));
  ASSIGN_OR_RETURN(size_, file_->Size());
  return Status::Ok();
}

Status SpillRunReader::LoadBlock() {
  TEST_POINT("import.run_block");
  uint8_t h[kSpillBlockHeader];
  block_at_ = next_block_;
  if (size_ - block_at_ < kSpillBlockHeader) {
    return CorruptionStatus(path_ + ": offset " + std::to_string(block_at_) +
                            ": truncated run block header");
  }
  RETURN_IF_ERROR(ReadFully(file_.get(), block_at_, sizeof h, h));
  const uint32_t raw_size = LoadLE32(h), frame_size = LoadLE32(h + 4);
  if (raw_size == 0 || raw_size > kSpillMaxBlock ||
      frame_size > size_ - block_at_ - kSpillBlockHeader) {
    return CorruptionStatus(path_ + ": offset " + std::to_string(block_at_) +
                            ": bad run block header (raw " + std::to_string(raw_size) + ", frame " +
                            std::to_string(frame_size) + " bytes)");
  }
  frame_.resize(frame_size);
  RETURN_IF_ERROR(ReadFully(file_.get(), block_at_ + kSpillBlockHeader, frame_size,
                            reinterpret_cast<uint8_t*>(frame_.data())));
  Status st = codec_->Decompress(frame_, raw_size, &raw_);
  if (!st.ok()) {
    return CorruptionStatus(path_ + ": offset " + std::to_string(block_at_) + ": " + st.message());
  }
  next_block_ = block_at_ + kSpillBlockHeader + frame_size;
  pos_ = 0;
  return Status::Ok();
}

Result<bool> SpillRunReader::Next(SpillRecord* rec) {
  if (pos_ >= raw_.size()) {
    if (next_block_ >= size_) return false;
    RETURN_IF_ERROR(LoadBlock());
  }
  const size_t head = static_cast<size_t>(ks_) + kSpillRecordHeader;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(raw_.data()) + pos_;
  if (raw_.size() - pos_ < head) {
    return CorruptionStatus(path_ + ": block at offset " + std::to_string(block_at_) +
                            ": record at byte " + std::to_string(pos_) + " is truncated");
  }
  rec->key = p;
  rec->data_size = LoadLE32(p + ks_);
  rec->pos.file_id = LoadLEi32(p + ks_ + 4);
  rec->pos.offset = LoadLE64(p + ks_ + 8);
  if (raw_.size() - pos_ - head < rec->data_size) {
    return CorruptionStatus(path_ + ": block at offset " + std::to_string(block_at_) +
                            ": record at byte " + std::to_string(pos_) + " runs past the block");
  }
  rec->data = rec->data_size > 0 ? p + head : nullptr;
  pos_ += head + rec->data_size;
  return true;
}

SpillMerger::SpillMerger(std::vector<std::unique_ptr<SortedSource>> sources, int key_size)
    : sources_(std::move(sources)), heads_(sources_.size()), ks_(key_size) {}

bool SpillMerger::Before(size_t a, size_t b) const {
  const int c = CompareKeys(heads_[a].key, heads_[b].key, ks_);
  return c != 0 ? c < 0 : a < b;
}

Status SpillMerger::Advance(size_t i) {
  ASSIGN_OR_RETURN(bool more, sources_[i]->Next(&heads_[i]));
  if (!more) return Status::Ok();
  heap_.push_back(i);
  std::push_heap(heap_.begin(), heap_.end(), [this](size_t a, size_t b) { return Before(b, a); });
  return Status::Ok();
}

Result<bool> SpillMerger::Next(SpillRecord* rec) {
  auto after = [this](size_t a, size_t b) { return Before(b, a); };
  if (!started_) {
    started_ = true;
    for (size_t i = 0; i < sources_.size(); ++i) RETURN_IF_ERROR(Advance(i));
  } else if (pending_ != SIZE_MAX) {
    const size_t i = pending_;
    pending_ = SIZE_MAX;
    RETURN_IF_ERROR(Advance(i));
  }
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), after);
  size_t win = heap_.back();
  heap_.pop_back();
  // Equal keys come out in source order: each later one replaces the winner, whose source moves
  // on (its record is dropped, so its pointers may go).
  while (!heap_.empty() && CompareKeysNegEq(heads_[heap_.front()].key, heads_[win].key, ks_) == 0) {
    std::pop_heap(heap_.begin(), heap_.end(), after);
    const size_t next = heap_.back();
    heap_.pop_back();
    ++superseded_;
    RETURN_IF_ERROR(Advance(win));
    win = next;
  }
  *rec = heads_[win];
  pending_ = win;
  return true;
}

Result<std::vector<std::unique_ptr<SortedSource>>> OpenSpillRuns(
    FileSystem* fs, const std::vector<std::string>& paths, int key_size, ZstdBlockCodec* codec) {
  std::vector<std::unique_ptr<SortedSource>> out;
  for (const std::string& p : paths) {
    auto r = std::make_unique<SpillRunReader>(fs, p, key_size, codec);
    RETURN_IF_ERROR(r->Open());
    out.push_back(std::move(r));
  }
  return out;
}

Status MergeSpillRuns(FileSystem* fs, const std::vector<std::string>& runs, const std::string& out,
                      int key_size, int64_t* superseded) {
  ZstdBlockCodec codec;
  ASSIGN_OR_RETURN(auto sources, OpenSpillRuns(fs, runs, key_size, &codec));
  SpillMerger merger(std::move(sources), key_size);
  SpillRunWriter w(fs, out, key_size);
  RETURN_IF_ERROR(w.Open());
  SpillRecord rec;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, merger.Next(&rec));
    if (!more) break;
    RETURN_IF_ERROR(w.Add(rec));
  }
  RETURN_IF_ERROR(w.Finish());
  if (superseded != nullptr) *superseded += merger.superseded();
  for (const std::string& r : runs) RETURN_IF_ERROR(fs->RemoveFile(r));
  TEST_POINT("import.after_run_merge");
  return Status::Ok();
}

Status RemoveSpillDir(FileSystem* fs, const std::string& dir) {
  if (!fs->Exists(dir)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<DirEntry> files, fs->ListDir(dir));
  for (const DirEntry& f : files) {
    const std::string p = JoinPath(dir, f.name);
    RETURN_IF_ERROR(f.is_dir ? RemoveSpillDir(fs, p) : fs->RemoveFile(p));
  }
  return fs->RemoveDir(dir);
}

Result<int> RemoveSpillLeftovers(FileSystem* fs, const std::string& parent,
                                 const std::string& prefix) {
  if (!fs->Exists(parent)) return 0;
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(parent));
  int n = 0;
  for (const DirEntry& e : entries) {
    if (!e.is_dir || e.name.rfind(prefix, 0) != 0) continue;
    RETURN_IF_ERROR(RemoveSpillDir(fs, JoinPath(parent, e.name)));
    ++n;
  }
  if (n > 0) RETURN_IF_ERROR(fs->SyncDir(parent));
  return n;
}

}  // namespace shardtool
