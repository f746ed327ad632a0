// The context's shared state, the lifetime of calls (release of locks and leases, retired-file
// deletion), leases of entries, and lock taking (doc/acquisition.md §4-§6).
#include <algorithm>
#include <set>
#include <tuple>

#include "acquire/acquisition_internal.h"
#include "acquire/file_retirement.h"
#include "catalog/state_paths.h"

namespace shardtool {
namespace acquire_internal {
namespace {

ShardRoleOptions WithDefaults(ShardRoleOptions o) {
  if (o.locks == nullptr) o.locks = ProcessLockManager(o.fs);
  if (o.dirs == nullptr) o.dirs = DirCache::Process();
  if (o.process == nullptr) o.process = SystemProcessInfo();
  if (o.catalogs == nullptr) o.catalogs = CatalogCache::Process();
  if (o.keeper == nullptr) o.keeper = LeaseKeeper::Process();
  if (o.lock_free_attempts < 1) o.lock_free_attempts = 1;
  return o;
}

}  // namespace

ContextShared::ContextShared(ShardRoleOptions o)
    : opt(WithDefaults(std::move(o))),
      leases(opt.fs, opt.workdir, opt.process),
      locks_prefix(GlobalLockPath(opt.workdir)) {
  locks_prefix.resize(locks_prefix.size() - std::string_view("global").size());
  last_yield_micros = opt.fs->NowMicros();
}

std::vector<std::shared_ptr<CallState>> ContextShared::LiveCallsLocked() {
  std::vector<std::shared_ptr<CallState>> out;
  std::erase_if(calls, [&](const std::weak_ptr<CallState>& w) {
    auto c = w.lock();
    if (!c) return true;
    out.push_back(std::move(c));
    return false;
  });
  return out;
}

void ContextShared::RegisterLocked(const std::shared_ptr<CallState>& call) {
  std::erase_if(calls, [](const std::weak_ptr<CallState>& w) { return w.expired(); });
  call->registered = true;
  calls.push_back(call);
  live_calls++;
  if (state == ContextState::kEmpty) {
    state = ContextState::kActive;
    records_since_yield = 0;
    last_yield_micros = opt.fs->NowMicros();
  }
}

void ContextShared::OnCallGone() {
  std::lock_guard<std::mutex> lock(mu);
  live_calls--;
  if (live_calls == 0 && (state == ContextState::kActive || state == ContextState::kYielded)) {
    state = ContextState::kEmpty;
  }
}

CallState::~CallState() {
  ReleaseCall(*this, /*attempt_deletion=*/registered);
  if (registered) ctx->OnCallGone();
}

void ReleaseCall(CallState& call, bool attempt_deletion) {
  if (call.released.exchange(true)) return;
  ContextShared& ctx = *call.ctx;
  // (uuid, db dir, its snapshot saw retired files)
  std::vector<std::tuple<std::string, std::string, bool>> to_clean;
  for (auto& e : call.entries) {
    if (e->lease_id != 0) {
      ctx.opt.keeper->Unregister(e->lease_id);
      e->lease_id = 0;
    }
    if (e->lease_written && !call.stashed) {
      ctx.leases.Remove(e->uuid, e->lease_name).IgnoreError();  // a leftover is reaped as stale
      e->lease_written = false;
    }
    if (e->kind == TargetKind::kCollection) {
      to_clean.emplace_back(e->uuid, e->snapshot.dir, e->snapshot.has_retired);
    }
  }
  for (auto it = call.coll_locks.rbegin(); it != call.coll_locks.rend(); ++it) {
    it->handle.Release();
  }
  call.db_lock.Release();
  call.global.Release();
  if (!attempt_deletion || to_clean.empty()) return;
  // Which collections may have retired files now: those whose snapshot saw some, and, when
  // others (or this call's own writes) could have retired files since (a lock-free read, a call
  // that yielded, a write), those with a retired list in journal/ now. A locked read that never
  // yielded excluded every retirement while it held its coll lock.
  std::set<std::string> journal;
  if (call.lock_free || call.yielded || call.any_write) {
    auto listed = ListJournal(ctx.opt.fs, ctx.opt.workdir, ctx.opt.dirs);
    if (listed.ok()) journal = std::move(listed).value();
  }
  std::sort(to_clean.begin(), to_clean.end());
  for (size_t i = 0; i < to_clean.size(); i++) {
    const auto& [uuid, dir, had] = to_clean[i];
    if (i > 0 && std::get<0>(to_clean[i - 1]) == uuid) continue;
    if (!had && journal.count("retired." + uuid + ".json") == 0) continue;
    // Best effort: a busy or failing deletion is left to the next job.
    TryDeleteRetiredFiles(ctx.opt.locks, ctx.leases, dir, uuid).status().IgnoreError();
  }
}

void FailLocked(ContextShared& ctx, const std::vector<std::shared_ptr<CallState>>& calls,
                const Status& error) {
  for (const auto& c : calls) ReleaseCall(*c, /*attempt_deletion=*/false);
  ctx.failure = error;
  ctx.state = ContextState::kFailed;
}

Lease LeaseFor(const ContextShared& ctx, const Entry& e) {
  Lease l = NewLease(ctx.opt.process, ctx.leases.NowSeconds());
  l.job = ctx.opt.job;
  l.ns = e.ns;
  l.uuid = e.uuid;
  l.catalog_epoch = e.catalog_epoch;
  l.catalog_version = e.catalog_version;
  if (e.catalog != nullptr) {
    if (const CollectionEntry* c = e.catalog->FindCollectionByUuid(e.uuid)) {
      l.generation = c->generation;
    }
  } else if (e.description.is_sharded()) {
    l.generation = e.description.generation();
  }
  if (e.req.request.placement.shard_version) {
    l.version = e.req.request.placement.shard_version->ToString();
  }
  if (e.description.is_sharded()) {
    l.owned_slots = e.description.owned_slots();
  }
  l.files = e.snapshot.names();
  return l;
}

Status WriteLease(ContextShared& ctx, Entry& e) {
  if (e.lease_written || !e.needs_lease()) return Status::Ok();
  if (e.lease_name.empty()) e.lease_name = ctx.leases.NewName();
  Lease l = LeaseFor(ctx, e);
  RETURN_IF_ERROR(ctx.leases.Write(e.uuid, e.lease_name, l));
  e.lease_written = true;
  e.lease_id = ctx.opt.keeper->Register(ctx.leases, e.uuid, e.lease_name, std::move(l));
  if (ctx.opt.heartbeat_thread) ctx.opt.keeper->StartHeartbeat();
  return Status::Ok();
}

LockDeadline CallDeadline(const ContextShared& ctx, const CallState& call) {
  return LockDeadline::After(ctx.opt.fs, call.lock_timeout_ms);
}

Status TakeLocks(ContextShared& ctx, CallState& call, bool coll_reads_only,
                 const LockDeadline& deadline) {
  LockManager* locks = ctx.opt.locks;
  const std::string label = call.LockLabel();
  auto fail = [&](Status s) {
    // Only what this step took goes back: a yielded write keeps its coll locks.
    for (CollLock& l : call.coll_locks) {
      if (!l.exclusive || !coll_reads_only) l.handle.Release();
    }
    call.db_lock.Release();
    call.global.Release();
    return s;
  };
  if (!call.global.held()) {
    // Once per acquisition (or restore): the lock dir vouches for the idle lock files.
    locks->RevalidateIdle(DirName(ctx.locks_prefix + "global"));
    auto g = locks->Acquire(ctx.locks_prefix + "global", LockMode::kShared, deadline, label);
    if (!g.ok()) return fail(g.status());
    call.global = std::move(g).value();
  }
  if (!call.db_lock.held()) {
    auto d = locks->Acquire(ctx.locks_prefix + "db." + call.db, LockMode::kShared, deadline, label);
    if (!d.ok()) return fail(d.status());
    call.db_lock = std::move(d).value();
  }
  for (CollLock& l : call.coll_locks) {
    if (l.handle.held()) continue;
    auto h = locks->Acquire(ctx.locks_prefix + "coll." + l.uuid,
                            l.exclusive ? LockMode::kExclusive : LockMode::kShared, deadline,
                            l.exclusive ? "IX" : "IS");
    if (!h.ok()) return fail(h.status());
    l.handle = std::move(h).value();
  }
  return Status::Ok();
}

Status QueryPlanKilledError(const std::string& ns, std::string_view reason, std::string why) {
  Status s = QueryPlanKilledStatus(ns + ": " + why + " while the job yielded (" +
                                   std::string(reason) + "); rerun the job");
  s.With("ns", ns).With("reason", std::string(reason));
  return s;
}

ShardingDescription DescriptionFor(const std::shared_ptr<const CatalogSnapshot>& snap,
                                   const Resolution& res) {
  if (!res.sharded_description) return ShardingDescription();
  return ShardingDescription::FromCatalog(snap, *res.collection);
}

}  // namespace acquire_internal

using acquire_internal::ContextShared;

std::string_view ContextStateName(ContextState state) {
  switch (state) {
    case ContextState::kEmpty:
      return "EMPTY";
    case ContextState::kActive:
      return "ACTIVE";
    case ContextState::kYielded:
      return "YIELDED";
    case ContextState::kStashed:
      return "STASHED";
    case ContextState::kFailed:
      return "FAILED";
  }
  return "?";
}

AcquisitionContext::AcquisitionContext(ShardRoleOptions options)
    : shared_(std::make_shared<ContextShared>(std::move(options))) {}

AcquisitionContext::~AcquisitionContext() = default;

ContextState AcquisitionContext::state() const { return shared_->state.load(); }

Status AcquisitionContext::failure() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->failure;
}

const ShardRoleOptions& AcquisitionContext::options() const { return shared_->opt; }

uint64_t AcquisitionContext::yields() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->yields;
}

}  // namespace shardtool
