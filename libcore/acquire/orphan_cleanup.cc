#include "acquire/orphan_cleanup.h"

#include <set>

#include "catalog/ownership_filter.h"

namespace shardtool {
namespace {

std::vector<SlotRange> RangesOf(const std::bitset<kNumSlots>& bits) {
  std::vector<SlotRange> out;
  for (int s = 0; s < kNumSlots; s++) {
    if (!bits.test(static_cast<size_t>(s))) continue;
    if (!out.empty() && out.back().max == s) {
      out.back().max = s + 1;
    } else {
      out.push_back({s, s + 1});
    }
  }
  return out;
}

bool Blocks(const LeaseFile& l, const Catalog& catalog, const RangeDeletion& r) {
  if (!l.lease) return true;  // unreadable: may own anything
  if (!l.lease->OwnsAnyOf(r.slots)) return false;
  return l.lease->catalog_epoch != catalog.epoch ||
         l.lease->catalog_version < r.orphaned_at.catalog_version;
}

}  // namespace

std::string_view OrphanActionName(OrphanAction a) {
  switch (a) {
    case OrphanAction::kOwned:
      return "owned";
    case OrphanAction::kDrop:
      return "drop";
    case OrphanAction::kDeferredNotReady:
      return "notReady";
    case OrphanAction::kDeferredLeaseHeld:
      return "leaseHeld";
    case OrphanAction::kUnexpected:
      return "unexpected";
  }
  return "?";
}

OrphanCleanupPlan PlanOrphanCleanup(const Catalog& catalog, const CollectionEntry& c,
                                    const std::vector<LeaseFile>& live_leases, int64_t now,
                                    std::optional<int64_t> orphan_delay) {
  OrphanCleanupPlan plan;
  plan.actions_.fill(OrphanAction::kUnexpected);
  plan.verdict_of_.fill(-1);
  for (const SlotRange& r : OwnedRanges(c, catalog.this_shard())) {
    for (int s = r.min; s < r.max; s++)
      plan.actions_[static_cast<size_t>(s)] = OrphanAction::kOwned;
  }
  if (!c.sharded) plan.actions_.fill(OrphanAction::kOwned);  // nothing is an orphan
  for (const RangeDeletion& r : catalog.range_deletions) {
    if (r.uuid != c.uuid) continue;
    RangeDeletionVerdict v;
    v.deletion = r;
    v.ready = orphan_delay ? now >= r.orphaned_at.time + *orphan_delay : now >= r.ready_after;
    for (const LeaseFile& l : live_leases) {
      if (Blocks(l, catalog, r)) v.blocking_leases.push_back(l.name);
    }
    plan.verdicts_.push_back(std::move(v));
  }
  // Per slot, the best covering verdict: droppable > ready but blocked > not ready.
  for (size_t i = 0; i < plan.verdicts_.size(); i++) {
    const RangeDeletionVerdict& v = plan.verdicts_[i];
    const OrphanAction mine = v.droppable() ? OrphanAction::kDrop
                              : v.ready     ? OrphanAction::kDeferredLeaseHeld
                                            : OrphanAction::kDeferredNotReady;
    auto rank = [](OrphanAction a) {
      switch (a) {
        case OrphanAction::kDrop:
          return 3;
        case OrphanAction::kDeferredLeaseHeld:
          return 2;
        case OrphanAction::kDeferredNotReady:
          return 1;
        default:
          return 0;
      }
    };
    for (const SlotRange& r : v.deletion.slots) {
      for (int s = std::max(r.min, 0); s < std::min(r.max, kNumSlots); s++) {
        OrphanAction& a = plan.actions_[static_cast<size_t>(s)];
        if (a == OrphanAction::kOwned) continue;
        if (a == OrphanAction::kUnexpected || rank(mine) > rank(a)) {
          a = mine;
          plan.verdict_of_[static_cast<size_t>(s)] = static_cast<int16_t>(i);
        }
      }
    }
  }
  return plan;
}

std::vector<std::string> OrphanCleanupPlan::LeasesFor(int slot) const {
  if (Action(slot) != OrphanAction::kDeferredLeaseHeld) return {};
  return verdicts_[static_cast<size_t>(verdict_of_[static_cast<size_t>(slot)])].blocking_leases;
}

std::vector<SlotRange> OrphanCleanupPlan::Slots(OrphanAction a) const {
  std::bitset<kNumSlots> bits;
  for (int s = 0; s < kNumSlots; s++) {
    if (actions_[static_cast<size_t>(s)] == a) bits.set(static_cast<size_t>(s));
  }
  return RangesOf(bits);
}

void OrphanTally::Count(int slot, OrphanAction a, uint64_t records) {
  counts_[static_cast<size_t>(a)] += records;
  if (slot >= 0 && slot < kNumSlots) slots_[static_cast<size_t>(a)].set(static_cast<size_t>(slot));
}

std::vector<SlotRange> OrphanTally::Slots(OrphanAction a) const {
  return RangesOf(slots_[static_cast<size_t>(a)]);
}

Status OrphanCleanupOutcome(const std::string& ns, const OrphanCleanupPlan& plan,
                            const OrphanTally& tally) {
  const uint64_t held = tally.records(OrphanAction::kDeferredLeaseHeld);
  const uint64_t not_ready = tally.records(OrphanAction::kDeferredNotReady);
  if (held + not_ready == 0 || tally.records(OrphanAction::kDrop) > 0) return Status::Ok();
  std::vector<SlotRange> slots = tally.Slots(OrphanAction::kDeferredLeaseHeld);
  for (const SlotRange& r : tally.Slots(OrphanAction::kDeferredNotReady)) slots.push_back(r);
  slots = CoalesceRanges(std::move(slots));
  std::set<std::string> leases;
  for (const SlotRange& r : tally.Slots(OrphanAction::kDeferredLeaseHeld)) {
    for (int s = r.min; s < r.max; s++) {
      for (const std::string& l : plan.LeasesFor(s)) leases.insert(l);
    }
  }
  std::string lease_text;
  for (const std::string& l : leases) lease_text += (lease_text.empty() ? "" : ",") + l;
  const std::string reason = held > 0 ? "leaseHeld" : "notReady";
  Status s = RangeDeletionDeferredStatus(
      ns + ": " + std::to_string(held + not_ready) + " orphaned records kept (" + reason +
      (lease_text.empty() ? "" : ": " + lease_text) + "), none dropped; retry later");
  s.With("ns", ns)
      .With("slots", SlotRangesText(slots))
      .With("reason", reason)
      .With("leases", lease_text);
  return s;
}

Result<bool> CompleteRangeDeletions(FileSystem* fs, const std::string& workdir,
                                    const std::string& uuid, const std::vector<SlotRange>& dropped,
                                    CatalogStoreOptions store) {
  CatalogStore cs(fs, workdir, store);
  auto r = cs.Update(
      [&](const CatalogStore::Current& cur) -> Result<OpResult> {
        if (cur.catalog == nullptr) return cur.load_status;
        OpResult out;
        out.catalog = *cur.catalog;
        std::vector<RangeDeletion> kept;
        for (RangeDeletion& d : out.catalog.range_deletions) {
          if (d.uuid == uuid) {
            std::vector<SlotRange> left = SubtractRanges(d.slots, CoalesceRanges(dropped));
            if (left != d.slots) out.changed = true;
            d.slots = std::move(left);
            if (d.slots.empty()) continue;
          }
          kept.push_back(std::move(d));
        }
        out.catalog.range_deletions = std::move(kept);
        if (out.changed) {
          out.catalog.version++;
          out.notes.push_back({"completeRangeDeletion", uuid, SlotRangesText(dropped)});
        } else {
          out.catalog = *cur.catalog;
        }
        return out;
      },
      /*lock_timeout_ms=*/0);
  if (!r.ok()) {
    if (r.status().code() == ErrorCode::kLockTimeout) return false;  // left for later
    return r.status();
  }
  return r->written;
}

}  // namespace shardtool
