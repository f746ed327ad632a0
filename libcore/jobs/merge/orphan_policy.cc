#include "jobs/merge/orphan_policy.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "acquire/process_info.h"
#include "acquire/slot_list.h"
#include "catalog/ownership_filter.h"
#include "catalog/state_json.h"
#include "catalog/state_paths.h"

namespace shardtool {
namespace {

using PolicyJson = nlohmann::json;

// What the policy needs of a lease file (doc/acquisition.md §6).
struct LeaseView {
  std::string name;
  bool readable = false;
  bool all_slots = false;
  std::vector<SlotRange> owned;
  std::string epoch;
  uint64_t catalog_version = 0;
  int64_t expires_at = 0;
  std::vector<std::string> files;
};

// A stale lease (doc/acquisition.md §6): expired, or of this host with its pid gone or running with
// another procStart (pid reuse). A stashed lease (pid 0) is stale only by expiry.
bool Stale(const PolicyJson& j, int64_t expires_at, int64_t now) {
  if (expires_at < now) return true;
  if (!j.contains("host") || !j.contains("pid") || !j["host"].is_string() ||
      !j["pid"].is_number_integer()) {
    return false;
  }
  const int64_t pid = j["pid"].get<int64_t>();
  ProcessInfo* p = SystemProcessInfo();
  if (pid <= 0 || j["host"].get<std::string>() != p->HostName()) return false;
  const std::optional<uint64_t> start = p->ProcStart(pid);
  if (!start) return true;
  return j.contains("procStart") && j["procStart"].is_number_unsigned() &&
         j["procStart"].get<uint64_t>() != *start;
}

Result<std::vector<LeaseView>> ReadLeases(FileSystem* fs, const std::string& workdir,
                                          const std::string& uuid) {
  std::vector<LeaseView> out;
  const std::string dir = LeasesDir(workdir, uuid);
  if (!fs->Exists(dir)) return out;
  ASSIGN_OR_RETURN(auto entries, fs->ListDir(dir));
  for (const DirEntry& e : entries) {
    if (e.is_dir || e.name.size() < 5 || e.name.compare(e.name.size() - 5, 5, ".json") != 0) {
      continue;
    }
    LeaseView l;
    l.name = e.name;
    auto text = ReadFileToString(fs, JoinPath(dir, e.name), 1 << 20);
    if (text.ok()) {
      PolicyJson j = ParseStateJson<PolicyJson>(*text);
      try {
        if (!j.is_discarded()) {
          const PolicyJson& os = j.at("ownedSlots");
          if (os.is_string()) {
            l.all_slots = os.get<std::string>() == "all";
          } else {
            auto ranges = DecodeOwnedSlots(os);  // array or periodic form (slot_list.h)
            if (!ranges) {
              l.readable = false;  // as unreadable as a lease that is not JSON
              out.push_back(std::move(l));
              continue;
            }
            l.owned = std::move(*ranges);
          }
          l.epoch = j.at("catalogEpoch").get<std::string>();
          l.catalog_version = j.at("catalogVersion").get<uint64_t>();
          l.expires_at = j.at("expiresAt").get<int64_t>();
          for (const PolicyJson& f : j.value("files", PolicyJson::array())) {
            l.files.push_back(f.get<std::string>());
          }
          l.readable = true;
          if (Stale(j, l.expires_at, fs->NowMicros() / 1000000)) {
            // Anyone may reap a stale lease (doc/acquisition.md §6); a failed removal is left to
            // the next reaper.
            fs->RemoveFile(JoinPath(dir, e.name)).IgnoreError();
            continue;
          }
        }
      } catch (const PolicyJson::exception&) {
        l.readable = false;
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

bool Overlap(const std::vector<SlotRange>& a, const std::vector<SlotRange>& b) {
  return !IntersectRanges(a, b).empty();
}

}  // namespace

std::string_view OrphanVerdictName(OrphanVerdict v) {
  switch (v) {
    case OrphanVerdict::kOwned:
      return "owned";
    case OrphanVerdict::kDrop:
      return "drop";
    case OrphanVerdict::kDeferredNotReady:
      return "notReady";
    case OrphanVerdict::kDeferredLeaseHeld:
      return "leaseHeld";
    case OrphanVerdict::kUnexpected:
      return "unexpected";
  }
  return "?";
}

Result<std::unique_ptr<CatalogOrphanPolicy>> CatalogOrphanPolicy::Make(
    FileSystem* fs, const std::string& workdir, const Catalog& catalog, const CollectionEntry& c,
    int64_t now, std::optional<int64_t> orphan_delay) {
  auto p = std::unique_ptr<CatalogOrphanPolicy>(new CatalogOrphanPolicy());
  p->FillOwners(c);
  const int32_t self = catalog.this_shard();
  ASSIGN_OR_RETURN(std::vector<LeaseView> leases, ReadLeases(fs, workdir, c.uuid));
  // Per rangeDeletion: ready, and the live leases that block it.
  struct Verdict {
    const RangeDeletion* rd;
    bool ready;
    std::vector<std::string> blockers;
  };
  std::vector<Verdict> verdicts;
  for (const RangeDeletion& rd : catalog.range_deletions) {
    if (rd.uuid != c.uuid) continue;
    Verdict v{&rd, false, {}};
    v.ready = orphan_delay ? now >= rd.orphaned_at.time + *orphan_delay : now >= rd.ready_after;
    for (const LeaseView& l : leases) {
      if (l.readable && l.expires_at < now) continue;  // stale: not live
      const bool blocks =
          !l.readable ||
          ((l.all_slots || Overlap(l.owned, rd.slots)) &&
           (l.epoch != catalog.epoch || l.catalog_version < rd.orphaned_at.catalog_version));
      if (blocks) v.blockers.push_back(l.name);
    }
    verdicts.push_back(std::move(v));
  }
  for (int s = 0; s < kNumSlots; s++) {
    const size_t i = static_cast<size_t>(s);
    if (p->owner_[i] == self) {
      p->verdict_[i] = OrphanVerdict::kOwned;
      continue;
    }
    bool covered = false, ready = false, droppable = false;
    int16_t blocker = -1;
    for (size_t k = 0; k < verdicts.size(); k++) {
      bool in = false;
      for (const SlotRange& r : verdicts[k].rd->slots) in = in || (s >= r.min && s < r.max);
      if (!in) continue;
      covered = true;
      if (!verdicts[k].ready) continue;
      ready = true;
      if (verdicts[k].blockers.empty()) {
        droppable = true;
      } else if (blocker < 0) {
        blocker = static_cast<int16_t>(p->blocking_.size());
        p->blocking_.push_back(verdicts[k].blockers);
      }
    }
    if (!covered) {
      p->verdict_[i] = OrphanVerdict::kUnexpected;
    } else if (droppable) {
      p->verdict_[i] = OrphanVerdict::kDrop;
    } else if (ready) {
      p->verdict_[i] = OrphanVerdict::kDeferredLeaseHeld;
      p->blocker_[i] = blocker;
    } else {
      p->verdict_[i] = OrphanVerdict::kDeferredNotReady;
    }
  }
  return p;
}

void CatalogOrphanPolicy::FillOwners(const CollectionEntry& c) {
  owner_.fill(-1);
  for (const Chunk& ch : c.chunks) {
    for (int32_t s = std::max(0, ch.min); s < std::min<int32_t>(ch.max, kNumSlots); s++) {
      owner_[static_cast<size_t>(s)] = ch.shard;
    }
  }
}

Result<std::unique_ptr<CatalogOrphanPolicy>> CatalogOrphanPolicy::MakeMisplaced(
    FileSystem* fs, const std::string& workdir, const Catalog& catalog, const CollectionEntry& c,
    int64_t now) {
  auto p = std::unique_ptr<CatalogOrphanPolicy>(new CatalogOrphanPolicy());
  p->FillOwners(c);
  const int32_t self = catalog.this_shard();
  std::vector<SlotRange> covered;
  for (const RangeDeletion& rd : catalog.range_deletions) {
    if (rd.uuid == c.uuid) covered.insert(covered.end(), rd.slots.begin(), rd.slots.end());
  }
  ASSIGN_OR_RETURN(std::vector<LeaseView> leases, ReadLeases(fs, workdir, c.uuid));
  for (int s = 0; s < kNumSlots; s++) {
    const size_t i = static_cast<size_t>(s);
    const std::vector<SlotRange> one = {{s, s + 1}};
    if (p->owner_[i] == self) {
      p->verdict_[i] = OrphanVerdict::kOwned;
      continue;
    }
    if (p->owner_[i] < 0 || Overlap(covered, one)) {
      p->verdict_[i] = OrphanVerdict::kUnexpected;  // an orphan (or no owner): left alone
      continue;
    }
    std::vector<std::string> blockers;
    for (const LeaseView& l : leases) {
      if (l.readable && l.expires_at < now) continue;  // stale: not live
      if (!l.readable || l.all_slots || Overlap(l.owned, one)) blockers.push_back(l.name);
    }
    if (blockers.empty()) {
      p->verdict_[i] = OrphanVerdict::kDrop;
      continue;
    }
    p->verdict_[i] = OrphanVerdict::kDeferredLeaseHeld;
    if (p->blocking_.empty() || p->blocking_.back() != blockers) p->blocking_.push_back(blockers);
    p->blocker_[i] = static_cast<int16_t>(p->blocking_.size() - 1);
  }
  return p;
}

std::vector<std::string> CatalogOrphanPolicy::Leases(int slot) const {
  const size_t i = static_cast<size_t>(slot);
  if (verdict_[i] != OrphanVerdict::kDeferredLeaseHeld || blocker_[i] < 0) return {};
  return blocking_[static_cast<size_t>(blocker_[i])];
}

Result<std::vector<std::string>> PinnedFilesFromLeases(FileSystem* fs, const std::string& workdir,
                                                       const std::string& uuid, int64_t now) {
  ASSIGN_OR_RETURN(std::vector<LeaseView> leases, ReadLeases(fs, workdir, uuid));
  std::vector<std::string> out;
  for (const LeaseView& l : leases) {
    if (!l.readable) return std::vector<std::string>{"*"};
    if (l.expires_at < now) continue;
    out.insert(out.end(), l.files.begin(), l.files.end());
  }
  return out;
}

std::vector<std::string> DeferredLeases(const OrphanPolicy& policy,
                                        const std::vector<SlotRange>& slots_deferred) {
  std::vector<std::string> out;
  for (const SlotRange& r : slots_deferred) {
    for (int s = r.min; s < r.max; s++) {
      for (const std::string& l : policy.Leases(s)) {
        if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
      }
    }
  }
  return out;
}

Status OrphanCleanupOutcome(const std::string& ns, int64_t dropped, int64_t deferred,
                            const std::vector<SlotRange>& slots_deferred,
                            const std::vector<std::string>& leases) {
  if (deferred == 0 || dropped > 0) return Status::Ok();
  std::string names;
  for (const std::string& l : leases) names += (names.empty() ? "" : ",") + l;
  return RangeDeletionDeferredStatus(
             std::to_string(deferred) + " records of slots " + SlotRangesText(slots_deferred) +
             " were kept: their range deletion is " +
             (names.empty() ? "not ready yet" : "blocked by leases " + names))
      .With("ns", ns)
      .With("slots", SlotRangesText(slots_deferred))
      .With("reason", std::string(names.empty() ? "notReady" : "leaseHeld"))
      .With("leases", names);
}

Result<bool> CompleteRangeDeletions(FileSystem* fs, const std::string& workdir,
                                    const std::string& uuid,
                                    const std::vector<SlotRange>& dropped) {
  if (dropped.empty()) return false;
  CatalogStore store(fs, workdir);
  auto r = store.Update(
      [&](const CatalogStore::Current& cur) -> Result<OpResult> {
        if (cur.catalog == nullptr) return cur.load_status;
        OpResult out;
        out.catalog = *cur.catalog;
        std::vector<RangeDeletion> kept;
        for (RangeDeletion rd : out.catalog.range_deletions) {
          if (rd.uuid == uuid) {
            std::vector<SlotRange> left = SubtractRanges(rd.slots, dropped);
            if (left != rd.slots) out.changed = true;
            rd.slots = std::move(left);
            if (rd.slots.empty()) continue;
          }
          kept.push_back(std::move(rd));
        }
        out.catalog.range_deletions = std::move(kept);
        if (out.changed) {
          out.catalog.version = cur.catalog->version + 1;
          out.notes.push_back({"completeRangeDeletion", uuid, SlotRangesText(dropped)});
        }
        return out;
      },
      0);
  if (!r.ok()) {
    if (r.status().code() == ErrorCode::kLockTimeout) return false;
    return r.status();
  }
  return r->written;
}

}  // namespace shardtool
