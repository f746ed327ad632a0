#include "jobs/merge/merge_run.h"

#include <algorithm>
#include <cstring>

#include "base/crc32c.h"
#include "catalog/ownership_filter.h"
#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "io/check_pacer.h"
#include "io/test_point.h"
#include "iter/merging_iterator.h"
#include "jobs/merge/merge_discard.h"

namespace shardtool {
namespace {

constexpr size_t kBundleMemory = size_t{32} << 20;  // buffered orphan records before a flush
constexpr size_t kInputBufferBudget = size_t{48} << 20;

void SetFromRanges(const std::vector<SlotRange>& ranges, OrphanVerdict v,
                   std::array<OrphanVerdict, kNumSlots>* out) {
  for (const SlotRange& r : ranges) {
    for (int32_t s = std::max(0, r.min); s < std::min<int32_t>(r.max, kNumSlots); s++) {
      (*out)[static_cast<size_t>(s)] = v;
    }
  }
}

}  // namespace

MergeRun::MergeRun(FileSystem* fs, const MergeRequest& req, const MergeEnv& env,
                   const Catalog& catalog, const CollectionEntry& coll, const RdbInfo& rdb,
                   MergeReport* report)
    : fs_(fs), req_(req), env_(env), catalog_(catalog), coll_(coll), rdb_(rdb), report_(report) {
  t0_ = fs_->NowMicros();
}

MergeRun::~MergeRun() = default;

Status MergeRun::OpenInputs() {
  ASSIGN_OR_RETURN(auto entries, fs_->ListDir(dir_));
  report_->records_in_total = 0;
  report_->bytes_in_total = 0;
  for (MergeJournalInput& in : j_.inputs) {
    OpenDataFileOptions o;
    o.default_part_size = j_.part_size;
    o.rdb = &rdb_;
    auto df = OpenDataFile(fs_, dir_, in.name, &entries, o, nullptr);
    if (!df.ok()) {
      if (df.status().code() == ErrorCode::kNotFound) {
        return FailedPreconditionStatus(JoinPath(j_.dir, in.name) +
                                        ": an input of the merge is gone; it cannot continue");
      }
      return df.status();
    }
    if (mode_ != Mode::kJournaled) {
      in.size = df->big->logical_size();
      in.records = df->map ? df->map->num_positive() + df->map->num_negative() : -1;
      ASSIGN_OR_RETURN(auto first, df->FirstReadable());
      in.start = first.first;
    }
    if (in.records < 0 || report_->records_in_total < 0) {
      report_->records_in_total = -1;
    } else {
      report_->records_in_total += in.records;
    }
    report_->bytes_in_total += in.size - in.start;
    first_part_.push_back(df->big->first_part());
    // Every page read is checked against the input's sidecar: the merge never launders a damaged
    // record into a target with a fresh sidecar (C1/C2: an unusable sidecar stops it too).
    ASSIGN_OR_RETURN(auto sidecar,
                     LoadUsableSidecar(fs_, dir_, df->crc_name, df->big->logical_size()));
    sidecars_.push_back(std::move(sidecar));
    inputs_.push_back(std::move(df).value());
  }
  return Status::Ok();
}

Status MergeRun::OpenSinks() {
  if (req_.dry_run) {
    counting_ = std::make_unique<CountingSink>(rdb_);
    counting_->Seed(j_.target_size, loop_.have_out ? loop_.last_out : nullptr);
    return Status::Ok();
  }
  TargetWriter::Options wo;
  wo.part_size = j_.part_size;
  wo.buffer_size = env_.buffer_size;
  writer_ = std::make_unique<TargetWriter>(fs_, dir_, j_.target_data, j_.target_map, j_.target_crc,
                                           rdb_, wo);
  if (mode_ == Mode::kFresh) {
    RETURN_IF_ERROR(WriteMergeJournal(fs_, req_.workdir, j_));
    TEST_POINT("merge.after_journal_start");
    RETURN_IF_ERROR(writer_->Create());
    TEST_POINT("merge.after_target_create");
  } else if (mode_ == Mode::kJournaled) {
    auto info = writer_->Resume(j_.target_size);
    if (!info.ok()) {
      // The journal is written before the target is created: a crash in between leaves none.
      if (info.status().code() != ErrorCode::kNotFound || j_.target_size != 0) return info.status();
      RETURN_IF_ERROR(writer_->Create());
    }
  } else {
    // A target of unknown history: continue after its last whole record, journaled from now on.
    ASSIGN_OR_RETURN(auto info, writer_->Resume(std::nullopt));
    (void)info;
    j_.target_size = writer_->size();
    if (writer_->records() > 0) {
      std::memcpy(loop_.last_key, writer_->last_key(), static_cast<size_t>(rdb_.key_size));
      std::memcpy(loop_.last_out, writer_->last_key(), static_cast<size_t>(rdb_.key_size));
      loop_.have_last = loop_.have_out = true;
      j_.last_key = j_.last_out_key = KeyHex(writer_->last_key(), rdb_.key_size);
    }
    RETURN_IF_ERROR(WriteMergeJournal(fs_, req_.workdir, j_));
  }
  ckpt_size_ = writer_->size();
  sink_dir_ =
      j_.orphan_sink == "bundles" ? j_.orphans_to : JoinPath(StateDir(req_.workdir), "quarantine");
  bundle_tag_ = Crc32c(j_.uuid + "/" + std::to_string(j_.started));
  for (const MergeJournalBundle& b : j_.bundles) {
    auto w = std::make_unique<BundleWriter>(fs_, sink_dir_, b.dir, rdb_, HeaderFor(b.target_shard));
    RETURN_IF_ERROR(w->Open(b.streams));
    SetSources(w.get());
    bundles_[b.target_shard] = std::move(w);
  }
  return OpenDamagedBundle();
}

BundleHeader MergeRun::HeaderFor(int32_t shard) const {
  BundleHeader h;
  h.kind = j_.orphan_sink == "bundles" ? "orphans" : "quarantine";
  h.created = Iso8601Utc(j_.started);
  h.source_host_id = catalog_.this_host;
  h.source_shard = catalog_.this_shard();
  h.target_shard = shard;
  h.database = j_.database;
  h.catalog_epoch = j_.catalog_epoch;
  h.catalog_version = j_.catalog_version;
  // The target shard's version under the catalog that routed the records (unknown: "", when a
  // resumed run has another catalog).
  const CollectionEntry* c = catalog_.FindCollection(j_.ns);
  if (c != nullptr && catalog_.epoch == j_.catalog_epoch &&
      catalog_.version == j_.catalog_version) {
    h.catalog_shard_version = ShardVersionOf(*c, shard).ToString();
  }
  h.collection_uuid = j_.uuid;
  return h;
}

void MergeRun::SetSources(BundleWriter* w) {
  if (j_.orphan_sink == "bundles") return;
  for (size_t i = 0; i < j_.inputs.size(); i++) {
    w->SetSlotSource(static_cast<int>(i), JoinPath(j_.dir, j_.inputs[i].name), "orphan");
  }
}

Result<BundleWriter*> MergeRun::Bundle(int32_t shard) {
  auto it = bundles_.find(shard);
  if (it != bundles_.end()) return it->second.get();
  const std::string name = BundleDirName(j_.database, j_.rdb, shard, j_.started, bundle_tag_);
  auto w = std::make_unique<BundleWriter>(fs_, sink_dir_, name, rdb_, HeaderFor(shard));
  RETURN_IF_ERROR(w->Open());
  SetSources(w.get());
  j_.bundles.push_back({name, shard, {}});
  BundleWriter* p = w.get();
  bundles_[shard] = std::move(w);
  return p;
}

template <int KS, SlotKind SK, KeyCompression C, int D>
Status MergeRun::RunLayout() {
  using Stream = FileStreamT<KS, C, D>;
  const size_t k = std::max<size_t>(inputs_.size(), 1);
  const size_t buf = std::clamp(env_.buffer_size, size_t{64} << 10,
                                std::max<size_t>(size_t{64} << 10, kInputBufferBudget / k));
  std::vector<std::unique_ptr<Stream>> owned;
  std::vector<Stream*> ptrs;
  streams_.clear();
  for (size_t i = 0; i < inputs_.size(); i++) {
    const CrcSidecar* sidecar = sidecars_[i] ? &*sidecars_[i] : nullptr;
    owned.push_back(std::make_unique<Stream>(&inputs_[i], buf, sidecar));
    if (j_.quarantine_bad) owned.back()->set_damage_sink(this, i);
    ptrs.push_back(owned.back().get());
    streams_.push_back(owned.back().get());
  }
  MergingIteratorT<KS, Stream> it(ptrs);
  if (loop_.have_last) {
    // Inputs restart after the last key passed: R = pos(lastKey) + 1 never splits a key's twins.
    Key r = Key::FromBytes(loop_.last_key, KS).Positive();
    if (r.Increment()) {
      it.Seek(r.data());
    } else {
      it.Seek(Key::Max(KS).data());
      while (it.Valid() && CompareKeysNegEq(it.key(), loop_.last_key, KS) <= 0) it.Next();
    }
  } else {
    it.SeekToFirst();
  }
  // The writer's encoder and map inlined for the layout.
  struct WriterSink {
    TargetWriter* w;
    Status Add(const uint8_t* key, const uint8_t* data, uint32_t size) {
      return w->template AddT<KS, C, D>(key, data, size);
    }
  };
  Status s = it.status();
  if (s.ok()) {
    if (counting_) {
      s = RunMergeLoop<KS, SK>(it, *counting_, loop_, *this);
    } else {
      WriterSink sink{writer_.get()};
      s = RunMergeLoop<KS, SK>(it, sink, loop_, *this);
    }
  }
  if (!s.ok()) {
    for (const ErrorInfo& info : s.info()) {
      if (info.name == "input" && std::holds_alternative<int64_t>(info.value)) {
        const size_t i = static_cast<size_t>(std::get<int64_t>(info.value));
        if (i >= j_.inputs.size()) continue;
        // Named once: readers whose messages already start with the file's path keep them.
        const std::string path = JoinPath(j_.dir, j_.inputs[i].name);
        if (s.message().rfind(path, 0) != 0) s.Prefix(path);
      }
    }
  } else {
    s = stopped_ ? Stop() : Complete();
  }
  streams_.clear();
  return s;
}

Status MergeRun::DropOrphan(const Record& rec, size_t source, int slot) {
  if (j_.orphan_sink == "bundles") j_.counters.orphans_exported++;
  const int32_t owner = owners_[static_cast<size_t>(slot)];
  report_->dropped_by_owner[owner]++;
  if (counting_) return Status::Ok();
  ASSIGN_OR_RETURN(BundleWriter * b, Bundle(owner));
  const int channel = j_.orphan_sink == "bundles" ? 0 : static_cast<int>(source);
  return b->Add(channel, rec.key, rec.data, rec.data_size, streams_[source]->offset(), rec.size);
}

uint64_t MergeRun::OutputSize() const {
  return writer_ ? writer_->size() : (counting_ ? counting_->size() : 0);
}

uint64_t MergeRun::BundleBytes() const {
  uint64_t n = 0;
  for (const auto& [s, b] : bundles_) n += b->stream_bytes_written() + b->buffered();
  if (damaged_) n += damaged_->stream_bytes_written() + damaged_->buffered();
  return n;
}

uint64_t MergeRun::ExtraDisk() const {
  const uint64_t added = OutputSize() + BundleBytes();
  return added > chopped_bytes_ ? added - chopped_bytes_ : 0;
}

uint64_t MergeRun::BytesIn() const {
  if (streams_.size() != j_.inputs.size()) return j_.counters.bytes_in;
  uint64_t n = 0;
  for (size_t i = 0; i < streams_.size(); i++) {
    const uint64_t off = streams_[i]->offset();
    if (off > j_.inputs[i].start) n += off - j_.inputs[i].start;
  }
  return n;
}

Result<std::vector<std::string>> MergeRun::Pinned() {
  if (env_.pinned_files) return env_.pinned_files(j_.uuid);
  return PinnedFilesFromLeases(fs_, req_.workdir, j_.uuid, fs_->NowMicros() / 1000000);
}

void MergeRun::Throttle() {
  // Read plus written bytes may not run ahead of rate x elapsed time.
  uint64_t bytes = BundleBytes() + (writer_ ? writer_->bytes_appended() : 0);
  for (PositionedStream* s : streams_) bytes += s->bytes_read();
  const int64_t deadline = req_.max_duration_ms > 0 ? t0_ + req_.max_duration_ms * 1000 : INT64_MAX;
  WaitForRate(fs_, bytes, req_.rate_mb_s, t0_, deadline, env_.stop);
}

Result<bool> MergeRun::Tick() {
  if (env_.progress) {
    env_.progress({BytesIn(), report_->bytes_in_total, j_.counters.records_out});
  }
  if (req_.rate_mb_s > 0) Throttle();
  const int64_t now = fs_->NowMicros();
  peak_extra_ = std::max(peak_extra_, ExtraDisk());
  if (env_.stop != nullptr && env_.stop->load()) {
    stop_reason_ = InterruptedStatus("stopped by a signal");
    stopped_ = true;
    return true;
  }
  if (req_.max_duration_ms > 0 && now - t0_ >= req_.max_duration_ms * 1000) {
    stop_reason_ = InterruptedStatus("--max-duration reached");
    stopped_ = true;
    return true;
  }
  // The acquisition's yield point; a failed restore released the claim: stop without writing.
  if (env_.yield) RETURN_IF_ERROR(env_.yield(loop_.check_every));
  if (writer_ != nullptr) {
    if (writer_->size() - ckpt_size_ >= env_.checkpoint_bytes) RETURN_IF_ERROR(Checkpoint(false));
    size_t buffered = 0;
    BundleWriter* largest = nullptr;
    for (auto& [s, b] : bundles_) {
      buffered += b->buffered();
      if (largest == nullptr || b->buffered() > largest->buffered()) largest = b.get();
    }
    if (buffered > kBundleMemory) RETURN_IF_ERROR(largest->FlushLargest());
  }
  if (req_.max_extra_disk > 0 && OutputSize() >= next_chop_at_ &&
      ExtraDisk() > req_.max_extra_disk) {
    // chopHead (§8.8): only parts whose derived output is durable, i.e. after a checkpoint.
    if (writer_ != nullptr && writer_->size() != ckpt_size_) RETURN_IF_ERROR(Checkpoint(false));
    bool blocked = false;
    RETURN_IF_ERROR(Chop(&blocked));
    uint64_t step = UINT64_MAX, max_part = 0;
    for (const DataFile& f : inputs_) {
      step = std::min(step, f.big->part_size() / 4);
      max_part = std::max(max_part, f.big->part_size());
    }
    next_chop_at_ = OutputSize() + std::max<uint64_t>(step, uint64_t{64} << 10);
    if (blocked && ExtraDisk() > req_.max_extra_disk + max_part) {
      stop_reason_ = RangeDeletionDeferredStatus(
                         "a live lease pins an input whose consumed parts would have to be "
                         "removed to stay within --max-extra-disk; stopped at a checkpoint, a "
                         "rerun continues")
                         .With("ns", j_.ns)
                         .With("reason", std::string("leaseHeld"));
      stopped_ = true;
      return true;
    }
  }
  return false;
}

Status MergeRun::Chop(bool* blocked_by_pin) {
  if (!loop_.have_last) return Status::Ok();
  const int ks = rdb_.key_size;
  Key r = Key::FromBytes(loop_.last_key, ks).Positive();
  if (!r.Increment()) r = Key::Max(ks);
  const Key max = Key::Max(ks);
  std::vector<std::string> pinned;
  if (!req_.dry_run) {
    ASSIGN_OR_RETURN(pinned, Pinned());
  }
  bool changed = false;
  for (size_t i = 0; i < inputs_.size(); i++) {
    const DataFile& f = inputs_[i];
    if (!f.map) continue;
    const uint64_t P = f.big->part_size();
    // The part holding getAbsoluteOffset(getPage(R)) (with shardtool's getPage(R-1), where a
    // resume would start reading); everything before it is consumed.
    const PageMap::Span span = f.map->RangeSpan(r.data(), max.data());
    const int32_t p = static_cast<int32_t>(static_cast<uint64_t>(span.start) / P);
    // Up to the part being read, the last one included: keeping the part before the last one
    // until the end let the extra disk grow by one more part per input (issue 16).
    if (p < 1 || p > f.big->last_part() || first_part_[i] >= p) continue;
    const std::string name = f.name.BaseName();
    if (std::find(pinned.begin(), pinned.end(), name) != pinned.end() ||
        std::find(pinned.begin(), pinned.end(), "*") != pinned.end()) {
      *blocked_by_pin = true;
      continue;
    }
    TEST_POINT("merge.before_chop");
    for (int32_t part = first_part_[i]; part < p; part++) {
      const std::string path = JoinPath(dir_, PartName(name, part));
      if (!req_.dry_run && fs_->Exists(path)) RETURN_IF_ERROR(fs_->RemoveFile(path));
      chopped_bytes_ += P;
      parts_chopped_++;
    }
    first_part_[i] = p;
    changed = true;
  }
  if (changed && !req_.dry_run) {
    RETURN_IF_ERROR(fs_->SyncDir(dir_));
    TEST_POINT("merge.after_chop");
    UpdateJournal();
    RETURN_IF_ERROR(WriteMergeJournal(fs_, req_.workdir, j_));
  }
  return Status::Ok();
}

void MergeRun::UpdateJournal() {
  const int ks = rdb_.key_size;
  j_.target_size = OutputSize();
  if (loop_.have_last) j_.last_key = KeyHex(loop_.last_key, ks);
  if (loop_.have_out) j_.last_out_key = KeyHex(loop_.last_out, ks);
  j_.counters.bytes_in = BytesIn();
  j_.peak_extra_disk = peak_extra_;
  j_.parts_chopped = parts_chopped_;
  j_.chopped_bytes = chopped_bytes_;
  for (MergeJournalBundle& b : j_.bundles) {
    auto it = bundles_.find(b.target_shard);
    if (it != bundles_.end()) b.streams = it->second->streams();
  }
  if (damaged_ && j_.damaged_bundle) j_.damaged_bundle->streams = damaged_->streams();
  j_.updated = fs_->NowMicros() / 1000000;
}

Status MergeRun::Checkpoint(bool clean_stop) {
  if (writer_ == nullptr) return Status::Ok();
  RETURN_IF_ERROR(writer_->Sync());
  TEST_POINT("merge.checkpoint.after_target_sync");
  for (auto& [s, b] : bundles_) RETURN_IF_ERROR(b->FlushAll());
  if (damaged_) RETURN_IF_ERROR(damaged_->FlushAll());
  if (clean_stop && !writer_->verifying()) RETURN_IF_ERROR(writer_->WriteMetadata());
  UpdateJournal();
  RETURN_IF_ERROR(WriteMergeJournal(fs_, req_.workdir, j_));
  TEST_POINT("merge.checkpoint.after_journal");
  ckpt_size_ = writer_->size();
  return Status::Ok();
}

Status MergeRun::Stop() {
  peak_extra_ = std::max(peak_extra_, ExtraDisk());
  RETURN_IF_ERROR(Checkpoint(true));
  FillReport();
  report_->outcome = stop_reason_;
  report_->outcome.With("records_out", j_.counters.records_out);
  if (j_.last_key) report_->outcome.With("last_key", *j_.last_key);
  return Status::Ok();
}

Status MergeRun::Complete() {
  peak_extra_ = std::max(peak_extra_, ExtraDisk());
  if (counting_) {
    UpdateJournal();
    FillReport();
    return Status::Ok();
  }
  RETURN_IF_ERROR(writer_->Sync());
  TEST_POINT("merge.after_target_sync");
  RETURN_IF_ERROR(writer_->Finish());
  TEST_POINT("merge.after_target_map");
  // §8.9 (2): the map's endOffset is the target's logical size (M2).
  {
    ASSIGN_OR_RETURN(auto entries, fs_->ListDir(dir_));
    ASSIGN_OR_RETURN(auto big, BigFile::Open(fs_, dir_, j_.target_data, entries, rdb_.page_size,
                                             j_.part_size, nullptr));
    ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(fs_, JoinPath(dir_, j_.target_map)));
    ASSIGN_OR_RETURN(PageMap map, PageMap::Parse(bytes, rdb_.key_size, rdb_.page_size,
                                                 JoinPath(dir_, j_.target_map)));
    if (map.end_offset() != static_cast<int64_t>(big->logical_size())) {
      return CorruptionStatus(JoinPath(dir_, j_.target_map) + ": endOffset " +
                              std::to_string(map.end_offset()) + " but the data has " +
                              std::to_string(big->logical_size()) + " bytes (M2)");
    }
  }
  for (auto& [s, b] : bundles_) RETURN_IF_ERROR(b->FlushAll());
  if (damaged_) RETURN_IF_ERROR(damaged_->FlushAll());
  j_.state = "incorporating";
  j_.phase.clear();
  UpdateJournal();
  RETURN_IF_ERROR(WriteMergeJournal(fs_, req_.workdir, j_));
  TEST_POINT("merge.before_incorporate");
  FillReport();
  writer_.reset();
  bundles_.clear();
  damaged_.reset();
  return Incorporate(std::move(j_));
}

void MergeRun::FillReport() {
  MergeReport& r = *report_;
  r.counters = j_.counters;
  r.drop_negatives = j_.drop_negatives;
  r.bytes_out = OutputSize();
  r.peak_extra_disk = peak_extra_;
  r.parts_chopped = parts_chopped_;
  r.target = JoinPath(j_.dir, j_.target_data);
  r.output = JoinPath(j_.dir, j_.final_data);
  if (r.inputs.empty()) {
    for (const auto& in : j_.inputs) r.inputs.push_back(JoinPath(j_.dir, in.name));
  }
  auto ranges = [](const std::bitset<kNumSlots>& b) {
    std::vector<SlotRange> out;
    for (int s = 0; s < kNumSlots; s++) {
      if (!b.test(static_cast<size_t>(s))) continue;
      if (!out.empty() && out.back().max == s) {
        out.back().max = s + 1;
      } else {
        out.push_back({s, s + 1});
      }
    }
    return out;
  };
  const auto& seen = loop_.slots_seen;
  r.slots_dropped = ranges(seen[static_cast<size_t>(OrphanVerdict::kDrop)]);
  r.slots_deferred = ranges(seen[static_cast<size_t>(OrphanVerdict::kDeferredNotReady)] |
                            seen[static_cast<size_t>(OrphanVerdict::kDeferredLeaseHeld)]);
  r.slots_unexpected = ranges(seen[static_cast<size_t>(OrphanVerdict::kUnexpected)]);
}

// Defined after RunLayout, whose instances it selects: clang 14 does not emit them (undefined
// references at link time) when the generic lambda that names them comes before the definition.
Status MergeRun::Run(MergeJournal journal, Mode mode) {
  j_ = std::move(journal);
  mode_ = mode;
  dir_ = JoinPath(req_.workdir, j_.dir);
  loop_.counters = &j_.counters;
  loop_.drop_negatives = j_.drop_negatives;
  loop_.check_every = std::max<uint32_t>(1, env_.check_every);
  chopped_bytes_ = j_.chopped_bytes;
  parts_chopped_ = j_.parts_chopped;
  peak_extra_ = j_.peak_extra_disk;
  RETURN_IF_ERROR(OpenInputs());
  verdicts_.fill(OrphanVerdict::kOwned);
  owners_.fill(-1);
  orphans_on_ = j_.cleanup_orphans && rdb_.shardable();
  if (orphans_on_) {
    SetFromRanges(j_.drop_slots, OrphanVerdict::kDrop, &verdicts_);
    SetFromRanges(j_.not_ready_slots, OrphanVerdict::kDeferredNotReady, &verdicts_);
    SetFromRanges(j_.lease_held_slots, OrphanVerdict::kDeferredLeaseHeld, &verdicts_);
    SetFromRanges(j_.unexpected_slots, OrphanVerdict::kUnexpected, &verdicts_);
    for (const auto& [r, shard] : j_.owners) {
      for (int32_t s = std::max(0, r.min); s < std::min<int32_t>(r.max, kNumSlots); s++) {
        owners_[static_cast<size_t>(s)] = shard;
      }
    }
    loop_.verdicts = verdicts_.data();
  }
  if (j_.last_key) {
    ASSIGN_OR_RETURN(Key k, Key::FromHex(*j_.last_key, rdb_.key_size));
    std::memcpy(loop_.last_key, k.data(), static_cast<size_t>(rdb_.key_size));
    loop_.have_last = true;
  }
  if (j_.last_out_key) {
    ASSIGN_OR_RETURN(Key k, Key::FromHex(*j_.last_out_key, rdb_.key_size));
    std::memcpy(loop_.last_out, k.data(), static_cast<size_t>(rdb_.key_size));
    loop_.have_out = true;
  }
  if (!req_.dry_run) RETURN_IF_ERROR(CheckFreeSpace());
  RETURN_IF_ERROR(OpenSinks());
  report_->resumed = report_->resumed || mode != Mode::kFresh;
  Status s = VisitRdbLayout(rdb_, [&](auto ks, auto kind, auto comp, auto form) -> Status {
    return RunLayout<decltype(ks)::value, decltype(kind)::value, decltype(comp)::value,
                     decltype(form)::value>();
  });
  if (s.ok() || req_.dry_run || j_.state != "merging") return s;
  // Corrupt input or a full disk: nothing half-done is left behind when the inputs are whole.
  writer_.reset();
  bundles_.clear();
  damaged_.reset();
  MergeJournal j = j_;
  j.parts_chopped = parts_chopped_;
  return AfterFailedMerge(fs_, req_.workdir, j, std::move(s));
}

}  // namespace shardtool
