// `merge --quarantine-bad` (issue 16): damaged input data is left out of the target and kept in
// the quarantine instead of stopping the merge. The input streams find the damage (a page that
// fails its checksum, a record that does not decode) and hand each damaged stretch to the
// MergeRun (iter/file_stream.h, DamageSink); its exact bytes go to one quarantine entry of the
// merge (doc/format.md §10.3: encoding "raw", reason "corrupt-page", a range per stretch with its
// source file, offset, length and rule), written through a BundleWriter like the orphan bundles:
// flushed at every checkpoint, listed in the journal (`damaged_bundle`), committed with the merge.
//
// Exactly once across crashes: a rerun reads the stretches after its checkpoint again; one whose
// end the journal already lists for that input was written by an earlier run and is skipped, one
// the journal does not list is written (and counted) again, its earlier copy having been dropped
// with everything after the checkpoint.
#include <algorithm>

#include "base/crc32c.h"
#include "catalog/state_paths.h"
#include "jobs/merge/merge_run.h"

namespace shardtool {
namespace {

constexpr size_t kDamagedReadChunk = size_t{1} << 20;
constexpr char kDamagedReason[] = "corrupt-page";

std::string QuarantineSinkDir(const std::string& workdir) {
  return JoinPath(StateDir(workdir), "quarantine");
}

// The rule id a stream's Corruption names ("" when none).
std::string RuleOf(const Status& why) {
  for (const ErrorInfo& info : why.info()) {
    if (info.name == "rule" && std::holds_alternative<std::string>(info.value)) {
      return std::get<std::string>(info.value);
    }
  }
  return "";
}

}  // namespace

BundleHeader MergeRun::DamagedHeader() const {
  BundleHeader h = HeaderFor(catalog_.this_shard());
  h.kind = "quarantine";
  return h;
}

Status MergeRun::OpenDamagedBundle() {
  damaged_done_.assign(j_.inputs.size(), 0);
  if (!j_.damaged_bundle) return Status::Ok();
  const MergeJournalBundle& b = *j_.damaged_bundle;
  for (const BundleStreamInfo& s : b.streams) {
    for (size_t i = 0; i < j_.inputs.size(); i++) {
      if (s.source_file != JoinPath(j_.dir, j_.inputs[i].name)) continue;
      for (const BundleRange& r : s.ranges) {
        damaged_done_[i] = std::max(damaged_done_[i], r.offset + r.length);
      }
    }
  }
  damaged_ = std::make_unique<BundleWriter>(fs_, QuarantineSinkDir(req_.workdir), b.dir, rdb_,
                                            DamagedHeader());
  RETURN_IF_ERROR(damaged_->Open(b.streams));
  for (size_t i = 0; i < j_.inputs.size(); i++) {
    damaged_->SetSlotSource(static_cast<int>(i), JoinPath(j_.dir, j_.inputs[i].name),
                            kDamagedReason);
  }
  return Status::Ok();
}

Status MergeRun::LeaveOut(size_t source, uint64_t begin, uint64_t end, const Status& why) {
  if (source >= inputs_.size() || end <= begin) {
    return InternalErrorStatus("damaged range [" + std::to_string(begin) + ", " +
                               std::to_string(end) + ") of input " + std::to_string(source));
  }
  if (source < damaged_done_.size() && end <= damaged_done_[source]) return Status::Ok();
  j_.counters.damaged_ranges++;
  j_.counters.damaged_bytes += end - begin;
  if (counting_) return Status::Ok();  // --dry-run
  if (damaged_ == nullptr) {
    const int32_t shard = catalog_.this_shard();
    const uint32_t tag = Crc32c(j_.uuid + "/" + std::to_string(j_.started) + "/damaged");
    j_.damaged_bundle =
        MergeJournalBundle{BundleDirName(j_.database, j_.rdb, shard, j_.started, tag), shard, {}};
    RETURN_IF_ERROR(OpenDamagedBundle());
  }
  const std::string rule = RuleOf(why);
  std::string bytes;
  for (uint64_t at = begin; at < end;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kDamagedReadChunk, end - at));
    bytes.resize(n);
    RETURN_IF_ERROR(inputs_[source].big->Read(at, n, reinterpret_cast<uint8_t*>(bytes.data())));
    RETURN_IF_ERROR(damaged_->AddRaw(static_cast<int>(source), at, bytes, rule));
    at += n;
  }
  return Status::Ok();
}

}  // namespace shardtool
