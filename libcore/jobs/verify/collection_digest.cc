#include "jobs/verify/collection_digest.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <variant>

#include "iter/merging_iterator.h"

namespace shardtool {

Hash128 RecordHash128(const uint8_t* key, int key_size, const uint8_t* data, uint32_t data_size) {
  constexpr uint64_t kDataSeed = 0x64617461;  // "data"
  // Key-only Rdbs (posdb, indexdb, ...) hash no data: that half is the same for every record.
  static const Hash128 kNoData = HashBytes128(nullptr, 0, kDataSeed);
  const Hash128 k = HashBytes128(key, static_cast<size_t>(key_size), 0x6b6579);  // "key"
  const Hash128 d =
      data != nullptr && data_size > 0 ? HashBytes128(data, data_size, kDataSeed) : kNoData;
  uint8_t both[32];
  for (int i = 0; i < 8; i++) {
    both[i] = static_cast<uint8_t>(k.lo >> (8 * i));
    both[8 + i] = static_cast<uint8_t>(k.hi >> (8 * i));
    both[16 + i] = static_cast<uint8_t>(d.lo >> (8 * i));
    both[24 + i] = static_cast<uint8_t>(d.hi >> (8 * i));
  }
  return HashBytes128(both, sizeof both, 0x726563);  // "rec"
}

DigestMemory DigestMemoryFor(size_t files, int key_size) {
  constexpr size_t kBudget = size_t{24} << 20;
  const size_t share = kBudget / std::max<size_t>(files, 1);
  DigestMemory m;
  m.scan_buffer = std::clamp<size_t>(share / 2, size_t{16} << 10, size_t{256} << 10);
  const size_t batch_bytes = std::clamp<size_t>(share / 8, size_t{2} << 10, size_t{64} << 10);
  m.batch_records = std::max<size_t>(16, batch_bytes / (static_cast<size_t>(key_size) + 17));
  return m;
}

namespace {

// A feed holds at most this many batches in its queue (plus the one filling, the one merging).
constexpr size_t kQueuedBatches = 2;

void Allocate(DigestFeed::Batch* b, size_t records, int key_size) {
  b->keys.resize(records * static_cast<size_t>(key_size));
  b->hashes.resize(records);
  b->negative.resize(records);
  b->n = 0;
}

}  // namespace

DigestFeed::DigestFeed(int key_size, size_t batch_records, std::counting_semaphore<>* decode_slots)
    : key_size_(key_size), batch_records_(batch_records), slots_(decode_slots) {
  Allocate(&fill_, batch_records_, key_size_);
}

Status DigestFeed::Add(const Record& rec) {
  if (dropping_.load(std::memory_order_relaxed)) [[unlikely]] {
    if (!cancelled_.load(std::memory_order_relaxed)) return Status::Ok();  // discarded
    std::lock_guard<std::mutex> lock(mu_);
    return cancel_;
  }
  if (fill_.n == batch_records_) RETURN_IF_ERROR(Flush());
  const size_t i = fill_.n++;
  std::memcpy(fill_.keys.data() + i * static_cast<size_t>(key_size_), rec.key,
              static_cast<size_t>(key_size_));
  // A tombstone's hash is never added: only whether it is one matters.
  fill_.hashes[i] =
      rec.negative ? Hash128{} : RecordHash128(rec.key, key_size_, rec.data, rec.data_size);
  fill_.negative[i] = rec.negative ? 1 : 0;
  return Status::Ok();
}

Status DigestFeed::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  if (queued_.size() >= kQueuedBatches && !discard_ && cancel_.ok()) {
    // Wait for the merge without holding a decode slot (another file may need one to reach the
    // key the merge waits for), then take one again before decoding on.
    if (slots_ != nullptr) slots_->release();
    room_.wait(lock, [&] { return queued_.size() < kQueuedBatches || discard_ || !cancel_.ok(); });
    if (slots_ != nullptr) {
      lock.unlock();
      slots_->acquire();
      lock.lock();
    }
  }
  if (!cancel_.ok()) return cancel_;
  if (discard_) {
    fill_.n = 0;
    return Status::Ok();
  }
  queued_.push_back(std::move(fill_));
  if (!spare_.empty()) {
    fill_ = std::move(spare_.back());
    spare_.pop_back();
    fill_.n = 0;
  } else {
    fill_ = Batch{};
    Allocate(&fill_, batch_records_, key_size_);
  }
  ready_.notify_one();
  return Status::Ok();
}

void DigestFeed::Finish(Status end) {
  Status flushed = fill_.n > 0 ? Flush() : Status::Ok();
  (void)flushed;  // a cancelled feed's end is the cancel Status
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  end_ = std::move(end);
  ready_.notify_one();
}

bool DigestFeed::Pop(Batch* b) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!b->keys.empty()) spare_.push_back(std::move(*b));
  *b = Batch{};
  ready_.wait(lock, [&] { return !queued_.empty() || finished_ || !cancel_.ok(); });
  if (!cancel_.ok() || queued_.empty()) return false;
  *b = std::move(queued_.front());
  queued_.pop_front();
  room_.notify_one();
  return true;
}

Status DigestFeed::ending() {
  std::lock_guard<std::mutex> lock(mu_);
  return cancel_.ok() ? end_ : cancel_;
}

void DigestFeed::Discard() {
  std::lock_guard<std::mutex> lock(mu_);
  discard_ = true;
  dropping_.store(true, std::memory_order_relaxed);
  queued_.clear();
  room_.notify_one();
}

void DigestFeed::Cancel(Status why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cancel_.ok()) cancel_ = std::move(why);
  cancelled_.store(true, std::memory_order_relaxed);
  dropping_.store(true, std::memory_order_relaxed);
  queued_.clear();
  room_.notify_one();
  ready_.notify_one();
}

namespace {

// One feed as a merge input (MergingIteratorT's stream): the records of its batches in order.
// record() carries the full key and the sign; hash() the record's hash. Valid until the next
// Next().
class FeedStream {
 public:
  FeedStream(DigestFeed* feed, int key_size) : feed_(feed), key_size_(key_size) {}

  void SeekToFirst() { Fill(); }
  bool Valid() const { return i_ < batch_.n; }
  void Next() {
    if (++i_ < batch_.n) {
      Set();
      return;
    }
    Fill();
  }
  const Record& record() const { return rec_; }
  const Hash128& hash() const { return batch_.hashes[i_]; }
  const Status& status() const { return status_; }

 private:
  void Fill() {
    i_ = 0;
    while (feed_->Pop(&batch_)) {
      if (batch_.n > 0) {
        Set();
        return;
      }
    }
    status_ = feed_->ending();
  }
  void Set() {
    rec_.key = batch_.keys.data() + i_ * static_cast<size_t>(key_size_);
    rec_.negative = batch_.negative[i_] != 0;
  }

  DigestFeed* feed_;
  int key_size_;
  DigestFeed::Batch batch_;
  size_t i_ = 0;
  Record rec_;
  Status status_;
};

// The input index a merge failure names (MergingIteratorT's "input" info), or -1.
int64_t FailedInput(const Status& s) {
  for (const ErrorInfo& e : s.info()) {
    if (e.name == "input" && std::holds_alternative<int64_t>(e.value)) {
      return std::get<int64_t>(e.value);
    }
  }
  return -1;
}

template <int KS>
Result<CollectionDigest> MergeFeedsT(const std::vector<std::string>& files,
                                     std::vector<FeedStream*> streams,
                                     const std::atomic<bool>* stop, CollectionDigest out) {
  MergingIteratorT<KS, FeedStream> it(std::move(streams));
  uint64_t n = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if ((++n & 0xffff) == 0 && stop != nullptr && stop->load()) {
      return InterruptedStatus("verify interrupted");
    }
    if (it.record().negative) continue;
    out.digest.Add(it.input(it.source())->hash());
    out.records++;
  }
  const Status& s = it.status();
  if (s.ok()) return out;
  if (s.code() != ErrorCode::kCorruption) return s;
  // A file that ended short says so itself; keys out of order are named here.
  const int64_t input = FailedInput(s);
  out.complete = false;
  out.incomplete = s.message();
  if (input >= 0 && static_cast<size_t>(input) < files.size() &&
      s.message().rfind("merge input ", 0) == 0) {
    out.incomplete = files[static_cast<size_t>(input)] + s.message().substr(s.message().find(':'));
  }
  return out;
}

}  // namespace

Result<CollectionDigest> MergeDigestFeeds(const RdbInfo& rdb, const std::string& ns,
                                          const std::vector<std::string>& files,
                                          const std::vector<DigestFeed*>& feeds,
                                          const std::atomic<bool>* stop) {
  CollectionDigest out;
  out.ns = ns;
  out.rdb = std::string(rdb.name);
  if (feeds.empty()) return out;
  std::vector<std::unique_ptr<FeedStream>> owned;
  std::vector<FeedStream*> streams;
  for (DigestFeed* f : feeds) {
    owned.push_back(std::make_unique<FeedStream>(f, rdb.key_size));
    streams.push_back(owned.back().get());
  }
  switch (rdb.key_size) {
    case 12:
      return MergeFeedsT<12>(files, streams, stop, std::move(out));
    case 16:
      return MergeFeedsT<16>(files, streams, stop, std::move(out));
    case 18:
      return MergeFeedsT<18>(files, streams, stop, std::move(out));
    case 24:
      return MergeFeedsT<24>(files, streams, stop, std::move(out));
    default:
      return MergeFeedsT<28>(files, streams, stop, std::move(out));
  }
}

}  // namespace shardtool
