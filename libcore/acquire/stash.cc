// Stash across invocations (doc/acquisition.md §7): Stash, AdoptStash, DismissStash.
//
// Order of a stash: leases not yet written are written (locked reads), the journal is written
// durably, then each lease becomes a stashed lease (pid 0, "stashed": journal, expiresAt now +
// 900 s), then the locks go. A crash before the journal leaves ordinary leases of a dead process
// (reaped); a crash after it leaves a journal whose leases may still name this pid: adoption then
// adopts them all the same, or fails with leaseLost once they were reaped.
//
// A successful adoption deletes the journal: from then on the leases are this process's (a crash
// makes them stale), and the job stashes again if it stops resumably again.
#include <map>

#include "acquire/acquisition_internal.h"
#include "acquire/stash_journal.h"
#include "catalog/state_paths.h"
#include "io/atomic_file.h"

namespace shardtool {

using acquire_internal::CallState;
using acquire_internal::CollLock;
using acquire_internal::ContextShared;
using acquire_internal::Entry;

namespace {

std::string JournalPath(const ContextShared& ctx, const std::string& name) {
  return JoinPath(JournalDir(ctx.opt.workdir), name);
}

Status CheckJournalName(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return InternalErrorStatus("stash journal name \"" + name + "\" is not a plain file name")
        .With("what", "bad journal name");
  }
  return Status::Ok();
}

StashedAcquisition Record(int32_t call_index, const CallState& call, const Entry& e) {
  StashedAcquisition a;
  a.call = call_index;
  a.lock_free = call.lock_free;
  a.lock_timeout_ms = call.lock_timeout_ms;
  a.request = e.req.request;
  a.ns = e.ns;
  a.db = e.db;
  a.kind = e.kind;
  a.uuid = e.uuid;
  a.rdb = e.rdb != nullptr ? std::string(e.rdb->name) : std::string();
  a.view = e.view;
  a.catalog_epoch = e.catalog_epoch;
  a.catalog_version = e.catalog_version;
  a.seen_version = e.seen_version;
  a.lease = e.lease_written ? e.lease_name : std::string();
  if (e.description.is_sharded()) {
    a.description = StashedDescription{*e.description.generation(), e.description.shard_version(),
                                       e.description.shard(), e.description.chunks()};
  }
  a.dir = e.snapshot.dir;
  a.files = e.snapshot.files;
  return a;
}

// Rebuilds an entry from its record. The description of a read is the recorded one; a write's is
// re-taken by the restore checks.
Result<std::unique_ptr<Entry>> Rebuild(const StashedAcquisition& a) {
  auto e = std::make_unique<Entry>();
  ASSIGN_OR_RETURN(e->req, ParseRequest(a.request));
  e->kind = a.kind;
  e->ns = a.ns;
  e->db = a.db;
  e->uuid = a.uuid;
  if (a.kind == TargetKind::kCollection) {
    e->rdb = FindRdb(a.rdb);
    if (e->rdb == nullptr) return InternalErrorStatus("stash journal: unknown Rdb " + a.rdb);
  }
  e->view = a.view;
  e->catalog_epoch = a.catalog_epoch;
  e->catalog_version = a.catalog_version;
  e->seen_version = a.seen_version;
  e->snapshot.dir = a.dir;
  e->snapshot.files = a.files;
  if (a.description && e->rdb != nullptr) {
    e->description =
        ShardingDescription::FromParts(a.description->generation, a.description->chunks,
                                       a.description->version, a.description->shard, *e->rdb);
  }
  e->lease_name = a.lease;
  e->lease_written = !a.lease.empty();
  return e;
}

// Deletes a stash's leases and journal (best effort for the leases: a leftover one expires).
Status Dismiss(const ContextShared& ctx, const std::string& path, const StashJournal* journal) {
  if (journal != nullptr) {
    for (const StashedAcquisition& a : journal->acquisitions) {
      if (!a.lease.empty()) ctx.leases.Remove(a.uuid, a.lease).IgnoreError();
    }
  }
  Status s = ctx.opt.fs->RemoveFile(path);
  if (!s.ok() && s.code() != ErrorCode::kNotFound) return s;
  return ctx.opt.fs->SyncDir(DirName(path));
}

}  // namespace

Status AcquisitionContext::Stash(const std::string& journal_name, const std::string& last_key) {
  RETURN_IF_ERROR(CheckJournalName(journal_name));
  ContextShared& ctx = *shared_;
  std::vector<std::shared_ptr<CallState>> calls;  // before the guard (acquisition_internal.h)
  std::lock_guard<std::mutex> lock(ctx.mu);
  if (ctx.state != ContextState::kActive) {
    return InternalErrorStatus("stash while the acquisition context is " +
                               std::string(ContextStateName(ctx.state)))
        .With("what", "stash in state " + std::string(ContextStateName(ctx.state)));
  }
  calls = ctx.LiveCallsLocked();
  const int64_t now = ctx.leases.NowSeconds();
  StashJournal journal;
  journal.job = ctx.opt.job;
  journal.last_key = last_key;
  journal.stashed_at = now;
  for (size_t i = 0; i < calls.size(); i++) {
    for (auto& e : calls[i]->entries) {
      RETURN_IF_ERROR(acquire_internal::WriteLease(ctx, *e));
      journal.acquisitions.push_back(Record(static_cast<int32_t>(i), *calls[i], *e));
    }
  }
  RETURN_IF_ERROR(ctx.opt.fs->CreateDirs(JournalDir(ctx.opt.workdir)));
  RETURN_IF_ERROR(WriteFileAtomically(ctx.opt.fs, JournalPath(ctx, journal_name),
                                      SerializeStashJournal(journal)));
  for (const auto& call : calls) {
    for (auto& e : call->entries) {
      if (!e->lease_written) continue;
      std::optional<Lease> l = ctx.opt.keeper->Get(e->lease_id);
      Lease stashed = l ? *l : acquire_internal::LeaseFor(ctx, *e);
      stashed.pid = 0;
      stashed.stashed = journal_name;
      stashed.heartbeat_at = now;
      stashed.expires_at = now + kStashTtlSeconds;
      ctx.opt.keeper->Unregister(e->lease_id);
      e->lease_id = 0;
      // A lease reaped meanwhile stays gone: the adoption reports leaseLost.
      Status s = ctx.leases.Rewrite(e->uuid, e->lease_name, stashed);
      if (!s.ok() && s.code() != ErrorCode::kNotFound) return s;
    }
  }
  for (const auto& call : calls) {
    call->stashed = true;
    acquire_internal::ReleaseCall(*call, /*attempt_deletion=*/false);
  }
  ctx.state = ContextState::kStashed;
  return Status::Ok();
}

Result<AdoptedStash> AcquisitionContext::AdoptStash(const std::string& journal_name) {
  RETURN_IF_ERROR(CheckJournalName(journal_name));
  ContextShared& ctx = *shared_;
  std::vector<std::shared_ptr<CallState>> calls;  // before the guard (acquisition_internal.h)
  std::lock_guard<std::mutex> lock(ctx.mu);
  if (ctx.state != ContextState::kEmpty) {
    return InternalErrorStatus("adopting a stash needs an EMPTY context (it is " +
                               std::string(ContextStateName(ctx.state)) + ")")
        .With("what", "adopt in state " + std::string(ContextStateName(ctx.state)));
  }
  const std::string path = JournalPath(ctx, journal_name);
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(ctx.opt.fs, path));
  StashJournal journal;
  auto fail = [&](const Status& s) {
    acquire_internal::FailLocked(ctx, calls, s);
    Dismiss(ctx, path, &journal).IgnoreError();
    return s;
  };
  auto parsed = ParseStashJournal(text, path);
  if (!parsed.ok()) return fail(parsed.status());
  journal = std::move(parsed).value();

  std::map<int32_t, std::shared_ptr<CallState>> by_index;
  for (const StashedAcquisition& a : journal.acquisitions) {
    std::shared_ptr<CallState>& call = by_index[a.call];
    if (!call) {
      call = std::make_shared<CallState>(shared_);
      call->lock_free = a.lock_free;
      call->lock_timeout_ms = a.lock_timeout_ms;
      call->db = a.db;
      calls.push_back(call);
    }
    auto e = Rebuild(a);
    if (!e.ok()) return fail(e.status());
    call->any_write |= (*e)->is_write();
    call->entries.push_back(std::move(e).value());
  }
  for (const auto& call : calls) {
    if (call->lock_free) continue;
    std::map<std::string, bool> colls;
    for (const auto& e : call->entries) {
      if (e->kind == TargetKind::kCollection) colls[e->uuid] |= e->is_write();
    }
    for (const auto& [uuid, exclusive] : colls) call->coll_locks.push_back({uuid, exclusive, {}});
    Status s = acquire_internal::TakeLocks(ctx, *call, /*coll_reads_only=*/false,
                                           acquire_internal::CallDeadline(ctx, *call));
    if (!s.ok()) return fail(s);
  }
  if (Status s = acquire_internal::RecheckAll(ctx, calls); !s.ok()) return fail(s);
  // Adopt the leases: this process holds them from now on.
  const int64_t now = ctx.leases.NowSeconds();
  for (const auto& call : calls) {
    for (auto& e : call->entries) {
      if (!e->lease_written) continue;
      auto l = ctx.leases.Read(e->uuid, e->lease_name);
      if (!l.ok() || l->stashed != journal_name) {
        return fail(acquire_internal::QueryPlanKilledError(
            e->ns, "leaseLost", "its stashed lease " + e->lease_name + " was reaped"));
      }
      Lease adopted = NewLease(ctx.opt.process, now);
      adopted.job = l->job;
      adopted.ns = l->ns;
      adopted.uuid = l->uuid;
      adopted.catalog_epoch = l->catalog_epoch;
      adopted.catalog_version = l->catalog_version;
      adopted.generation = l->generation;
      adopted.version = l->version;
      adopted.owned_slots = l->owned_slots;
      adopted.files = l->files;
      adopted.created_at = l->created_at;
      Status s = ctx.leases.Rewrite(e->uuid, e->lease_name, adopted);
      if (!s.ok()) {
        if (s.code() == ErrorCode::kNotFound) {
          s = acquire_internal::QueryPlanKilledError(
              e->ns, "leaseLost", "its stashed lease " + e->lease_name + " was reaped");
        }
        return fail(s);
      }
      e->lease_id = ctx.opt.keeper->Register(ctx.leases, e->uuid, e->lease_name, adopted);
      if (ctx.opt.heartbeat_thread) ctx.opt.keeper->StartHeartbeat();
    }
  }
  Status removed = ctx.opt.fs->RemoveFile(path);
  if (!removed.ok() && removed.code() != ErrorCode::kNotFound) return fail(removed);

  AdoptedStash out;
  out.last_key = journal.last_key;
  out.job = journal.job;
  for (const auto& call : calls) {
    ctx.RegisterLocked(call);
    for (auto& e : call->entries) {
      CollectionOrViewAcquisition a;
      if (e->kind == TargetKind::kView) {
        a.is_view_ = true;
        a.view_ = ViewAcquisition(call, e.get());
      } else {
        a.collection_ = CollectionAcquisition(call, e.get());
      }
      out.acquisitions.push_back(std::move(a));
    }
  }
  return out;
}

Status AcquisitionContext::DismissStash(const std::string& journal_name) {
  RETURN_IF_ERROR(CheckJournalName(journal_name));
  const ContextShared& ctx = *shared_;
  const std::string path = JournalPath(ctx, journal_name);
  auto text = ReadFileToString(ctx.opt.fs, path);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kNotFound) return Status::Ok();
    return text.status();
  }
  auto journal = ParseStashJournal(*text, path);
  // An unreadable journal goes too (its leases, if any, expire).
  return Dismiss(ctx, path, journal.ok() ? &*journal : nullptr);
}

}  // namespace shardtool
