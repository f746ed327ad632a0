// The acquire calls (doc/acquisition.md §3, §5): checks in order, locked acquisitions and the
// lock-free protocol.
#include <algorithm>
#include <map>

#include "acquire/acquisition_internal.h"
#include "acquire/file_retirement.h"
#include "io/test_point.h"

namespace shardtool {

using acquire_internal::CallState;
using acquire_internal::CollLock;
using acquire_internal::ContextShared;
using acquire_internal::Entry;

namespace {

// Checks 3-7 of every request, in ns order (§3: "checks per request in ns order"); a {db, uuid}
// request sorts under the namespace its uuid names, or under its uuid. Results in request order.
Result<std::vector<Resolution>> CheckAll(const CatalogSnapshot& snap,
                                         const std::vector<ParsedRequest>& reqs) {
  std::vector<std::pair<std::string, size_t>> keys;
  for (size_t i = 0; i < reqs.size(); i++) {
    std::string key = reqs[i].ns();
    if (reqs[i].by_uuid()) {
      const CollectionEntry* c = TargetCollection(snap, reqs[i]);
      key = c ? c->ns : reqs[i].db + "." + reqs[i].uuid;
    }
    keys.emplace_back(std::move(key), i);
  }
  std::stable_sort(keys.begin(), keys.end());
  std::vector<Resolution> out(reqs.size());
  for (const auto& [key, i] : keys) {
    ASSIGN_OR_RETURN(out[i], CheckRequest(snap, reqs[i]));
  }
  return out;
}

// The committed file sets of the resolved collections (an empty snapshot for the others).
Result<std::vector<LocalSnapshot>> ListSets(ContextShared& ctx, const CatalogSnapshot& snap,
                                            const std::string& db,
                                            const std::vector<Resolution>& res,
                                            bool under_coll_locks) {
  std::vector<LocalSnapshot> out(res.size());
  std::vector<const CollectionEntry*> colls;
  std::vector<size_t> where;
  for (size_t i = 0; i < res.size(); i++) {
    if (res[i].kind != TargetKind::kCollection) continue;
    colls.push_back(res[i].collection);
    where.push_back(i);
  }
  if (colls.empty()) return out;
  const DatabaseEntry* d = snap.FindDatabase(db);
  if (d == nullptr) return InternalErrorStatus("database " + db + " of a collection is missing");
  ASSIGN_OR_RETURN(
      std::vector<LocalSnapshot> sets,
      ListCommittedSets(ctx.opt.fs, ctx.opt.workdir, *d, colls, ctx.opt.dirs, under_coll_locks));
  for (size_t k = 0; k < sets.size(); k++) out[where[k]] = std::move(sets[k]);
  return out;
}

void BuildEntries(CallState& call, const std::shared_ptr<const CatalogSnapshot>& snap,
                  const std::vector<ParsedRequest>& reqs, const std::vector<Resolution>& res,
                  std::vector<LocalSnapshot> sets) {
  for (size_t i = 0; i < reqs.size(); i++) {
    auto e = std::make_unique<Entry>();
    e->req = reqs[i];
    e->kind = res[i].kind;
    e->ns = res[i].ns;
    e->db = reqs[i].db;
    e->catalog_epoch = snap->epoch();
    e->catalog_version = e->seen_version = snap->version();
    e->catalog = snap;
    if (e->kind == TargetKind::kCollection) {
      e->uuid = res[i].collection->uuid;
      e->rdb = FindRdb(res[i].collection->rdb);
      e->snapshot = std::move(sets[i]);
      e->description = acquire_internal::DescriptionFor(snap, res[i]);
    } else if (e->kind == TargetKind::kView) {
      e->view = *res[i].view;
    }
    call.entries.push_back(std::move(e));
  }
}

// One attempt of the lock-free protocol (§5 steps 1-5). Ok(true) with *out set when it settled,
// Ok(false) when it must be retried; errors are final.
Result<bool> LockFreeAttempt(const std::shared_ptr<ContextShared>& self,
                             const std::vector<ParsedRequest>& reqs, const std::string& db,
                             std::shared_ptr<CallState>* out) {
  ContextShared& ctx = *self;
  FileSystem* fs = ctx.opt.fs;
  // (1) The catalog, and checks 3-7.
  ASSIGN_OR_RETURN(std::shared_ptr<const CatalogSnapshot> snap1,
                   ctx.opt.catalogs->Get(fs, ctx.opt.workdir));
  ASSIGN_OR_RETURN(std::vector<Resolution> res, CheckAll(*snap1, reqs));
  // (2) The committed file sets S1.
  ASSIGN_OR_RETURN(std::vector<LocalSnapshot> s1, ListSets(ctx, *snap1, db, res, false));
  TEST_POINT("acquire.lock_free.after_list");
  auto call = std::make_shared<CallState>(self);
  call->lock_free = true;
  call->db = db;
  BuildEntries(*call, snap1, reqs, res, s1);
  // (3) Leases listing S1, before any file is opened.
  for (auto& e : call->entries) RETURN_IF_ERROR(acquire_internal::WriteLease(ctx, *e));
  // (4) Open every part; a file gone meanwhile (retired and deleted) means retry.
  for (auto& e : call->entries) {
    for (const CommittedFile& f : e->snapshot.files) {
      for (const DataFilePart& p : f.parts) {
        auto file = fs->OpenForRead(JoinPath(e->snapshot.dir, p.name));
        if (!file.ok()) {
          if (file.status().code() == ErrorCode::kNotFound) return false;
          return file.status();
        }
        e->open_parts.emplace_back(p.name, std::shared_ptr<RandomAccessFile>(std::move(*file)));
      }
    }
  }
  TEST_POINT("acquire.lock_free.before_recheck");
  // (5) The catalog and the file sets again.
  ASSIGN_OR_RETURN(std::shared_ptr<const CatalogSnapshot> snap2,
                   ctx.opt.catalogs->Get(fs, ctx.opt.workdir));
  if (snap2->epoch() != snap1->epoch() || snap2->version() != snap1->version()) return false;
  ASSIGN_OR_RETURN(std::vector<LocalSnapshot> s2, ListSets(ctx, *snap1, db, res, false));
  if (s1 != s2) return false;
  *out = std::move(call);
  return true;
}

Status LockedAcquire(const std::shared_ptr<ContextShared>& self,
                     const std::vector<ParsedRequest>& reqs, const std::string& db,
                     int64_t timeout_ms, std::shared_ptr<CallState>* out) {
  ContextShared& ctx = *self;
  auto call = std::make_shared<CallState>(self);
  call->db = db;
  call->lock_timeout_ms = timeout_ms;
  for (const ParsedRequest& r : reqs) {
    if (r.request.operation == OperationType::kWrite) call->any_write = true;
  }
  // Global and db first: catalog rewrites hold global X, so from here the catalog is stable and
  // the collections to lock can be read from it.
  const LockDeadline deadline = acquire_internal::CallDeadline(ctx, *call);
  RETURN_IF_ERROR(acquire_internal::TakeLocks(ctx, *call, false, deadline));
  ASSIGN_OR_RETURN(std::shared_ptr<const CatalogSnapshot> snap,
                   ctx.opt.catalogs->Get(ctx.opt.fs, ctx.opt.workdir));
  std::map<std::string, bool> colls;  // uuid -> exclusive; ordered by uuid text (§5)
  for (const ParsedRequest& r : reqs) {
    if (const CollectionEntry* c = TargetCollection(*snap, r)) {
      colls[c->uuid] |= r.request.operation == OperationType::kWrite;
    }
  }
  for (const auto& [uuid, exclusive] : colls) call->coll_locks.push_back({uuid, exclusive, {}});
  RETURN_IF_ERROR(acquire_internal::TakeLocks(ctx, *call, false, deadline));
  TEST_POINT("acquire.locked.after_locks");
  ASSIGN_OR_RETURN(std::vector<Resolution> res, CheckAll(*snap, reqs));
  ASSIGN_OR_RETURN(std::vector<LocalSnapshot> sets, ListSets(ctx, *snap, db, res, true));
  BuildEntries(*call, snap, reqs, res, std::move(sets));
  // Every write acquisition deletes the retired files no live lease lists (§6); best effort.
  for (auto& e : call->entries) {
    if (e->is_write() && e->kind == TargetKind::kCollection && e->snapshot.has_retired) {
      DeleteUnpinnedRetiredFiles(ctx.leases, e->snapshot.dir, e->uuid).status().IgnoreError();
    }
  }
  *out = std::move(call);
  return Status::Ok();
}

}  // namespace

Result<std::vector<CollectionOrViewAcquisition>> AcquisitionContext::Acquire(
    const std::vector<AcquisitionRequest>& requests, bool maybe_lock_free) {
  ContextShared& ctx = *shared_;
  if (requests.empty()) {
    return InternalErrorStatus("acquire: no requests").With("what", "empty acquisition");
  }
  // Check 1 (syntax) for every request, before any lock.
  std::vector<ParsedRequest> reqs;
  reqs.reserve(requests.size());
  for (const AcquisitionRequest& r : requests) {
    ASSIGN_OR_RETURN(ParsedRequest p, ParseRequest(r));
    reqs.push_back(std::move(p));
  }
  const std::string& db = reqs[0].db;
  int64_t timeout_ms = 0;
  bool any_write = false;
  for (const ParsedRequest& r : reqs) {
    if (r.db != db) {
      return InternalErrorStatus("a plural acquisition takes namespaces of one database (got " +
                                 db + " and " + r.db + "; doc/acquisition.md §3)")
          .With("what", "plural acquisition across databases");
    }
    timeout_ms = std::max(timeout_ms, r.request.lock_timeout_ms);
    any_write |= r.request.operation == OperationType::kWrite;
  }
  if (maybe_lock_free && any_write) {
    return InternalErrorStatus("a lock-free acquisition is for reads only (doc/acquisition.md §5)")
        .With("what", "lock-free write");
  }

  std::shared_ptr<CallState> call;  // declared before the guard: see acquisition_internal.h
  std::lock_guard<std::mutex> lock(ctx.mu);
  const ContextState st = ctx.state;
  if (st != ContextState::kEmpty && st != ContextState::kActive) {
    return InternalErrorStatus("cannot acquire while the acquisition context is " +
                               std::string(ContextStateName(st)) + " (doc/acquisition.md §7)")
        .With("what", "acquire in state " + std::string(ContextStateName(st)));
  }
  // A process holding an exclusive lock reads with locks (§5).
  if (maybe_lock_free && !ctx.opt.locks->HoldsAnyExclusive()) {
    for (int attempt = 0; attempt < ctx.opt.lock_free_attempts && !call; attempt++) {
      ASSIGN_OR_RETURN(bool settled, LockFreeAttempt(shared_, reqs, db, &call));
      if (!settled) call.reset();
    }
  }
  if (!call) RETURN_IF_ERROR(LockedAcquire(shared_, reqs, db, timeout_ms, &call));
  ctx.RegisterLocked(call);

  std::vector<CollectionOrViewAcquisition> out(call->entries.size());
  for (size_t i = 0; i < call->entries.size(); i++) {
    Entry* e = call->entries[i].get();
    if (e->kind == TargetKind::kView) {
      out[i].is_view_ = true;
      out[i].view_ = ViewAcquisition(call, e);
    } else {
      out[i].collection_ = CollectionAcquisition(call, e);
    }
  }
  return out;
}

Result<std::vector<CollectionAcquisition>> AcquisitionContext::CollectionsOnly(
    Result<std::vector<CollectionOrViewAcquisition>> r) {
  if (!r.ok()) return r.status();
  std::vector<CollectionAcquisition> out;
  for (const CollectionOrViewAcquisition& a : *r) {
    if (a.is_view()) {
      return InternalErrorStatus(a.ns() +
                                 " is a view: acquire it with AcquireCollectionOrView (canBeView)")
          .With("what", "view through AcquireCollection");
    }
    out.push_back(a.collection());
  }
  return out;
}

Result<CollectionAcquisition> AcquisitionContext::AcquireCollection(const AcquisitionRequest& r) {
  ASSIGN_OR_RETURN(std::vector<CollectionAcquisition> v, AcquireCollections({r}));
  return v[0];
}

Result<std::vector<CollectionAcquisition>> AcquisitionContext::AcquireCollections(
    const std::vector<AcquisitionRequest>& requests) {
  return CollectionsOnly(Acquire(requests, false));
}

Result<CollectionOrViewAcquisition> AcquisitionContext::AcquireCollectionOrView(
    const AcquisitionRequest& r) {
  ASSIGN_OR_RETURN(std::vector<CollectionOrViewAcquisition> v, Acquire({r}, false));
  return v[0];
}

Result<std::vector<CollectionOrViewAcquisition>> AcquisitionContext::AcquireCollectionsOrViews(
    const std::vector<AcquisitionRequest>& requests) {
  return Acquire(requests, false);
}

Result<CollectionAcquisition> AcquisitionContext::AcquireCollectionMaybeLockFree(
    const AcquisitionRequest& r) {
  ASSIGN_OR_RETURN(std::vector<CollectionAcquisition> v, AcquireCollectionsMaybeLockFree({r}));
  return v[0];
}

Result<std::vector<CollectionAcquisition>> AcquisitionContext::AcquireCollectionsMaybeLockFree(
    const std::vector<AcquisitionRequest>& requests) {
  return CollectionsOnly(Acquire(requests, true));
}

Result<CollectionOrViewAcquisition> AcquisitionContext::AcquireCollectionOrViewMaybeLockFree(
    const AcquisitionRequest& r) {
  ASSIGN_OR_RETURN(std::vector<CollectionOrViewAcquisition> v, Acquire({r}, true));
  return v[0];
}

Result<std::vector<CollectionOrViewAcquisition>>
AcquisitionContext::AcquireCollectionsOrViewsMaybeLockFree(
    const std::vector<AcquisitionRequest>& requests) {
  return Acquire(requests, true);
}

}  // namespace shardtool
