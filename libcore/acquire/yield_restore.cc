// Yield and restore (doc/acquisition.md §7), and MaybeYield, the job-facing yield point.
#include "acquire/acquisition_internal.h"
#include "io/test_point.h"

namespace shardtool {

using acquire_internal::CallState;
using acquire_internal::ContextShared;
using acquire_internal::Entry;

namespace acquire_internal {

Status RestoreCheck(ContextShared& ctx, const std::shared_ptr<const CatalogSnapshot>& snap,
                    Entry& e) {
  // 1. Same catalog lineage, not older than what this acquisition saw last.
  if (snap->epoch() != e.catalog_epoch || snap->version() < e.seen_version) {
    return QueryPlanKilledError(e.ns, "epochChanged",
                                "the catalog was replaced (epoch " + snap->epoch() + " version " +
                                    std::to_string(snap->version()) + ", was epoch " +
                                    e.catalog_epoch + " version " + std::to_string(e.seen_version) +
                                    ")");
  }
  // 2. The namespace still names what was acquired.
  const CollectionEntry* c = snap->FindCollection(e.ns);
  const ViewEntry* v = c == nullptr ? snap->FindView(e.ns) : nullptr;
  switch (e.kind) {
    case TargetKind::kCollection:
      if (c != nullptr && c->uuid == e.uuid) break;
      if (v != nullptr) return QueryPlanKilledError(e.ns, "becameView", "it became a view");
      if (c != nullptr) {
        return QueryPlanKilledError(e.ns, "recreated",
                                    "it was recreated (uuid " + c->uuid + ", was " + e.uuid + ")");
      }
      if (const CollectionEntry* moved = snap->FindCollectionByUuid(e.uuid)) {
        return QueryPlanKilledError(e.ns, "renamed", "it was renamed to " + moved->ns);
      }
      return QueryPlanKilledError(e.ns, "dropped", "it was dropped");
    case TargetKind::kAbsent:
      if (c != nullptr) return QueryPlanKilledError(e.ns, "created", "it was created");
      if (v != nullptr) return QueryPlanKilledError(e.ns, "becameView", "it became a view");
      break;
    case TargetKind::kView:
      if (v == nullptr || v->view_on != e.view->view_on || v->key_min != e.view->key_min ||
          v->key_max != e.view->key_max) {
        return QueryPlanKilledError(e.ns, "viewChanged", "the view was changed or removed");
      }
      break;
  }
  const PlacementConcern& placement = e.req.request.placement;
  if (e.is_write()) {
    // 3. Writes: the original placement concern against the new catalog; then the description
    // is re-taken from it.
    RETURN_IF_ERROR(CheckDbVersion(*snap, e.db, placement));
    RETURN_IF_ERROR(CheckShardVersion(*snap, e.ns, c, e.kind == TargetKind::kView, placement));
    if (e.kind == TargetKind::kCollection) {
      Resolution res;
      res.kind = TargetKind::kCollection;
      res.ns = e.ns;
      res.collection = c;
      res.sharded_description = placement.shard_version.has_value() && c->sharded;
      e.description = DescriptionFor(snap, res);
      e.catalog = snap;
      e.catalog_version = snap->version();
    }
  } else if (e.lease_written) {
    // 4. Reads: the own lease must still be there (not reaped). Placement changes are allowed:
    // the original description and filter are kept, and the lease keeps their orphans in place.
    if ((e.lease_id != 0 && ctx.opt.keeper->IsLost(e.lease_id)) ||
        !ctx.opt.fs->Exists(ctx.leases.PathOf(e.uuid, e.lease_name))) {
      return QueryPlanKilledError(e.ns, "leaseLost", "its lease " + e.lease_name + " was reaped");
    }
  }
  e.seen_version = snap->version();
  return Status::Ok();
}

Status RecheckAll(ContextShared& ctx, const std::vector<std::shared_ptr<CallState>>& calls) {
  ASSIGN_OR_RETURN(auto snap, ctx.opt.catalogs->Get(ctx.opt.fs, ctx.opt.workdir));
  for (const auto& call : calls) {
    for (auto& e : call->entries) RETURN_IF_ERROR(RestoreCheck(ctx, snap, *e));
  }
  return Status::Ok();
}

}  // namespace acquire_internal

Status AcquisitionContext::Yield() {
  ContextShared& ctx = *shared_;
  std::vector<std::shared_ptr<CallState>> calls;  // before the guard (acquisition_internal.h)
  std::lock_guard<std::mutex> lock(ctx.mu);
  if (ctx.state != ContextState::kActive) {
    return InternalErrorStatus("yield while the acquisition context is " +
                               std::string(ContextStateName(ctx.state)))
        .With("what", "yield in state " + std::string(ContextStateName(ctx.state)));
  }
  calls = ctx.LiveCallsLocked();
  const int64_t min_interval = ctx.opt.lease_refresh_min_ms * 1000;
  for (const auto& call : calls) {
    for (auto& e : call->entries) {
      // A locked read's lease is written now, before its locks go.
      Status s = acquire_internal::WriteLease(ctx, *e);
      if (!s.ok()) {
        acquire_internal::FailLocked(ctx, calls, s);
        return s;
      }
      // A lost lease is reported by the restore.
      if (e->lease_id != 0) ctx.opt.keeper->Refresh(e->lease_id, min_interval).IgnoreError();
    }
  }
  for (const auto& call : calls) {
    // Reads give their coll locks back; writes keep theirs (the job's claim on the collection).
    for (auto& l : call->coll_locks) {
      if (!l.exclusive) l.handle.Release();
    }
    call->db_lock.Release();
    call->global.Release();
    call->yielded = true;
  }
  ctx.state = ContextState::kYielded;
  ctx.yields++;
  ctx.records_since_yield.store(0, std::memory_order_relaxed);
  ctx.last_yield_micros.store(ctx.opt.fs->NowMicros(), std::memory_order_relaxed);
  return Status::Ok();
}

Status AcquisitionContext::Restore() {
  ContextShared& ctx = *shared_;
  std::vector<std::shared_ptr<CallState>> calls;  // before the guard (acquisition_internal.h)
  std::lock_guard<std::mutex> lock(ctx.mu);
  if (ctx.state != ContextState::kYielded) {
    return InternalErrorStatus("restore while the acquisition context is " +
                               std::string(ContextStateName(ctx.state)))
        .With("what", "restore in state " + std::string(ContextStateName(ctx.state)));
  }
  calls = ctx.LiveCallsLocked();
  auto fail = [&](const Status& s) {
    acquire_internal::FailLocked(ctx, calls, s);
    return s;
  };
  // Locks in the order of §5 (a yielded write retakes global and db while holding its coll lock).
  for (const auto& call : calls) {
    if (call->lock_free) continue;
    Status s = acquire_internal::TakeLocks(ctx, *call, /*coll_reads_only=*/true,
                                           acquire_internal::CallDeadline(ctx, *call));
    if (!s.ok()) return fail(s);
  }
  if (Status s = acquire_internal::RecheckAll(ctx, calls); !s.ok()) return fail(s);
  const int64_t min_interval = ctx.opt.lease_refresh_min_ms * 1000;
  for (const auto& call : calls) {
    for (auto& e : call->entries) {
      if (e->lease_id != 0) ctx.opt.keeper->Refresh(e->lease_id, min_interval).IgnoreError();
    }
  }
  ctx.state = calls.empty() ? ContextState::kEmpty : ContextState::kActive;
  return Status::Ok();
}

Status AcquisitionContext::MaybeYield(uint64_t records) {
  ContextShared& ctx = *shared_;
  const uint64_t n =
      ctx.records_since_yield.fetch_add(records, std::memory_order_relaxed) + records;
  if (n < ctx.opt.yield_records) {
    // The clock is read every 64th call only.
    if ((ctx.calls_since_clock.fetch_add(1, std::memory_order_relaxed) & 63u) != 63u) {
      return Status::Ok();
    }
    const int64_t since = ctx.opt.fs->NowMicros() - ctx.last_yield_micros.load();
    if (since < ctx.opt.yield_ms * 1000) return Status::Ok();
  }
  // One thread yields; others calling meanwhile go on.
  std::unique_lock<std::mutex> yielding(ctx.yield_mu, std::try_to_lock);
  if (!yielding.owns_lock()) return Status::Ok();
  const ContextState st = state();
  if (st == ContextState::kFailed) return failure();
  if (st != ContextState::kActive) {
    ctx.records_since_yield.store(0, std::memory_order_relaxed);
    ctx.last_yield_micros.store(ctx.opt.fs->NowMicros(), std::memory_order_relaxed);
    return Status::Ok();
  }
  RETURN_IF_ERROR(Yield());
  TEST_POINT("acquire.yielded");
  return Restore();
}

}  // namespace shardtool
