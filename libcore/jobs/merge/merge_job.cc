#include "jobs/merge/merge_job.h"

#include <algorithm>
#include <memory>
#include <variant>

#include "acquire/acquisition.h"
#include "acquire/catalog_cache.h"
#include "acquire/router.h"
#include "catalog/discovery.h"
#include "catalog/namespace.h"
#include "catalog/ownership_filter.h"
#include "jobs/merge/merge_discard.h"
#include "jobs/merge/merge_plan.h"
#include "jobs/merge/merge_run.h"

namespace shardtool {

std::string MergeStashName(const std::string& ns) { return "merge." + ns + ".stash.json"; }

int MergeReport::exit_status() const {
  if (!outcome.ok()) return outcome.exit_status();
  return counters.damaged_ranges > 0 ? 1 : 0;
}

namespace {

std::vector<SlotRange> SlotsWith(const OrphanPolicy& p, OrphanVerdict v) {
  std::vector<SlotRange> out;
  for (int s = 0; s < kNumSlots; s++) {
    if (p.Verdict(s) != v) continue;
    if (!out.empty() && out.back().max == s) {
      out.back().max = s + 1;
    } else {
      out.push_back({s, s + 1});
    }
  }
  return out;
}

// The journal of a new merge: the plan, the options that decide the output, and the orphan
// verdicts frozen now.
MergeJournal NewJournal(const MergeRequest& req, const Catalog& catalog,
                        const CollectionEntry& coll, const DatabaseEntry& db, const MergePlan& plan,
                        bool whole_set, const OrphanPolicy* policy, int64_t now) {
  MergeJournal j;
  j.ns = coll.ns;
  j.uuid = coll.uuid;
  j.database = db.name;
  j.rdb = coll.rdb;
  j.dir = db.DirName();
  for (const CommittedFile& f : plan.inputs) j.inputs.push_back({f.name, f.id, 0, -1, 0});
  j.target_data = plan.target_data;
  j.target_map = plan.target_map;
  j.target_crc = plan.target_crc;
  j.final_data = plan.final_data;
  j.final_map = plan.final_map;
  j.final_crc = plan.final_crc;
  j.part_size = coll.part_size;
  j.drop_negatives = plan.drop_negatives;
  j.whole_set = whole_set;
  j.cleanup_orphans = policy != nullptr;
  j.orphans_to = req.orphans_to;
  j.misplaced = req.misplaced;
  j.quarantine_bad = req.quarantine_bad;
  if (policy != nullptr) {
    j.orphan_sink = req.orphans_to.empty() ? "quarantine" : "bundles";
    j.drop_slots = SlotsWith(*policy, OrphanVerdict::kDrop);
    j.not_ready_slots = SlotsWith(*policy, OrphanVerdict::kDeferredNotReady);
    j.lease_held_slots = SlotsWith(*policy, OrphanVerdict::kDeferredLeaseHeld);
    j.unexpected_slots = SlotsWith(*policy, OrphanVerdict::kUnexpected);
    for (int s = 0; s < kNumSlots; s++) {
      if (policy->Verdict(s) != OrphanVerdict::kDrop) continue;
      const int32_t owner = policy->Owner(s);
      if (!j.owners.empty() && j.owners.back().first.max == s && j.owners.back().second == owner) {
        j.owners.back().first.max = s + 1;
      } else {
        j.owners.push_back({{s, s + 1}, owner});
      }
    }
  }
  j.catalog_epoch = catalog.epoch;
  j.catalog_version = catalog.version;
  j.shard_version = CurrentShardVersion(catalog, coll).ToString();
  j.started = j.updated = now;
  return j;
}

std::string IdList(const std::vector<MergeJournalInput>& inputs) {
  std::string s;
  for (const auto& in : inputs) s += (s.empty() ? "" : ",") + std::to_string(in.id);
  return s;
}

// What RunMerge works on once it holds the acquisition: the collection as the catalog has it.
struct MergeScope {
  FileSystem* fs = nullptr;
  const MergeRequest* req = nullptr;
  const MergeEnv* env = nullptr;
  std::string ns;
  std::string uuid;
  std::shared_ptr<const CatalogSnapshot> snap;  // keeps catalog, db and coll alive
  const Catalog* catalog = nullptr;
  const DatabaseEntry* db = nullptr;
  const CollectionEntry* coll = nullptr;
  const RdbInfo* rdb = nullptr;
  bool cleanup = false;  // orphans are cleaned up (requested, and the Rdb is shardable)
};

// The write acquisition of the collection (a locked read for --dry-run), adopted from the stash of
// a stopped run when there is one, else through the router.
Result<CollectionAcquisition> AcquireForMerge(AcquisitionContext& actx, const MergeRequest& req,
                                              const std::string& ns) {
  CollectionAcquisition acq;
  bool adopted = false;
  if (!req.dry_run) {
    const std::string stash = MergeStashName(ns);
    auto a = actx.AdoptStash(stash);
    if (a.ok()) {
      for (const CollectionOrViewAcquisition& x : a->acquisitions) {
        if (!x.is_view() && x.ns() == ns) acq = x.collection();
      }
      if (!acq.valid()) return InternalErrorStatus(stash + ": does not hold " + ns);
      adopted = true;
    } else if (a.status().code() != ErrorCode::kNotFound) {
      return a.status();  // dismissed: the next run acquires afresh
    }
  }
  if (!adopted) {
    CommandAcquireRequest ar;
    ar.namespaces = {ns};
    ar.operation = req.dry_run ? OperationType::kRead : OperationType::kWrite;
    ar.view_mode = ViewMode::kMustBeCollection;
    ar.lock_timeout_ms = req.lock_timeout_ms;
    ar.pins = req.pins;
    auto got = AcquireForCommand(actx, ar);
    if (!got.ok()) {
      Status s = got.status();
      if (s.code() == ErrorCode::kCommandNotSupportedOnView) {
        return CommandNotSupportedOnViewStatus(ns + " is a view; merge works on collections")
            .With("ns", ns);
      }
      return s;
    }
    acq = (*got)[0].collection();
  }
  if (!acq.exists()) {
    return NamespaceNotFoundStatus("collection " + ns + " does not exist")
        .With("db", req.database)
        .WithNull("uuid");
  }
  return acq;
}

// Fills in the scope's catalog, database, collection and Rdb for the acquired collection.
Status LookUpCollection(AcquisitionContext& actx, const CollectionAcquisition& acq, MergeScope* s) {
  const MergeRequest& req = *s->req;
  const std::string& ns = s->ns;
  ASSIGN_OR_RETURN(s->uuid, acq.uuid());
  ASSIGN_OR_RETURN(s->snap, actx.options().catalogs->Get(s->fs, req.workdir));
  s->catalog = &s->snap->catalog();
  s->db = s->catalog->FindDatabase(req.database);
  s->coll = s->catalog->FindCollectionByUuid(s->uuid);
  if (s->db == nullptr || s->coll == nullptr || s->coll->ns != ns) {
    // Changed between the acquisition and this read: the next restore says how; stop now.
    return QueryPlanKilledStatus(ns + ": the catalog changed while the merge acquired it")
        .With("ns", ns)
        .With("reason", std::string("changed"));
  }
  s->rdb = FindRdb(s->coll->rdb);
  if (s->rdb == nullptr) return InternalErrorStatus(ns + ": unknown Rdb " + s->coll->rdb);
  s->cleanup =
      (req.cleanup_orphans || !req.orphans_to.empty() || req.misplaced) && s->rdb->shardable();
  if (s->cleanup && s->coll->placement_unknown()) {
    return StaleConfigStatus(ns +
                             ": placement unknown (generation null); run shardtool catalog "
                             "reshard before cleaning up orphans")
        .With("ns", ns)
        .WithNull("wanted");
  }
  return Status::Ok();
}

// An interrupted merge of this collection: it is finished first, with its own decisions.
Status ResumeJournaled(const MergeScope& s, MergeRun& run, MergeJournal journal,
                       MergeReport& report) {
  const MergeRequest& req = *s.req;
  const std::string& ns = s.ns;
  report.resumed = true;
  std::vector<int32_t> ids;
  for (const auto& in : journal.inputs) ids.push_back(in.id);
  if (req.selection == MergeSelection::kFiles && ids != req.file_ids) {
    return FailedPreconditionStatus("an interrupted merge of " + ns + " (files " +
                                    IdList(journal.inputs) +
                                    ") must be finished first: rerun with --auto or --files " +
                                    IdList(journal.inputs) + ", or discard it with --abort");
  }
  if (journal.misplaced != req.misplaced) {
    return FailedPreconditionStatus(
        "an interrupted " + std::string(journal.misplaced ? "repair misplaced" : "merge") + " of " +
        ns + " (files " + IdList(journal.inputs) + ") must be finished first: rerun " +
        (journal.misplaced ? "shardtool repair misplaced " + journal.database + " --rdb " +
                                 journal.rdb + " --to " + journal.orphans_to
                           : "shardtool merge " + journal.database + " --rdb " + journal.rdb +
                                 " --auto with its options, or discard it with --abort"));
  }
  if (journal.state == "incorporating") {
    report.incorporate_only = true;
    if (!req.dry_run) return run.Incorporate(std::move(journal));
    report.note = "an interrupted incorporate of " + journal.target_data + " is pending";
    for (const auto& in : journal.inputs) report.inputs.push_back(JoinPath(journal.dir, in.name));
    report.output = JoinPath(journal.dir, journal.final_data);
    report.counters = journal.counters;
    return Status::Ok();
  }
  if (journal.cleanup_orphans != s.cleanup || journal.orphans_to != req.orphans_to) {
    return FailedPreconditionStatus(
        "an interrupted merge of " + ns + " (files " + IdList(journal.inputs) + ") ran " +
        (journal.cleanup_orphans
             ? "with --cleanup-orphans" + (journal.orphans_to.empty()
                                               ? std::string()
                                               : " --orphans-to " + journal.orphans_to)
             : std::string("without --cleanup-orphans")) +
        ": rerun it with the same orphan options");
  }
  if (journal.quarantine_bad != req.quarantine_bad) {
    return FailedPreconditionStatus("an interrupted merge of " + ns + " (files " +
                                    IdList(journal.inputs) + ") ran " +
                                    (journal.quarantine_bad ? "with" : "without") +
                                    " --quarantine-bad: rerun it the same way, or discard it "
                                    "with --abort");
  }
  return run.Run(std::move(journal), MergeRun::Mode::kJournaled);
}

// The orphan policy of a new merge with --cleanup-orphans (the env's, or the catalog's).
Result<std::unique_ptr<OrphanPolicy>> MakeOrphanPolicy(const MergeScope& s) {
  if (s.env->orphan_policy) return s.env->orphan_policy(*s.catalog, *s.coll);
  if (s.req->misplaced) {
    ASSIGN_OR_RETURN(std::unique_ptr<CatalogOrphanPolicy> p,
                     CatalogOrphanPolicy::MakeMisplaced(s.fs, s.req->workdir, *s.catalog, *s.coll,
                                                        s.fs->NowMicros() / 1000000));
    return std::unique_ptr<OrphanPolicy>(std::move(p));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<CatalogOrphanPolicy> p,
                   CatalogOrphanPolicy::Make(s.fs, s.req->workdir, *s.catalog, *s.coll,
                                             s.fs->NowMicros() / 1000000, s.req->orphan_delay));
  return std::unique_ptr<OrphanPolicy>(std::move(p));
}

// Gigablast's interrupted incorporate: the inputs are gone, only the rename is due.
Status FinishGigablastIncorporate(const MergeScope& s, MergeRun& run, MergeJournal j,
                                  const MergePlan& plan, MergeReport& report) {
  report.resumed = report.incorporate_only = true;
  if (s.req->dry_run) {
    report.note = "an interrupted incorporate of " + plan.target_data + " is pending";
    return Status::Ok();
  }
  TargetWriter::Options wo;
  wo.part_size = s.coll->part_size;
  TargetWriter w(s.fs, JoinPath(s.req->workdir, j.dir), j.target_data, j.target_map, j.target_crc,
                 *s.rdb, wo);
  ASSIGN_OR_RETURN(auto info, w.Resume(std::nullopt));
  (void)info;
  RETURN_IF_ERROR(w.Finish());  // map and sidecar as the data says
  j.state = "incorporating";
  RETURN_IF_ERROR(WriteMergeJournal(s.fs, s.req->workdir, j));
  return run.Incorporate(std::move(j));
}

// A merge without a journal: plans it (report.nothing_to_do when there is nothing to merge),
// makes the orphan policy (into *policy) and runs it.
Status StartMerge(const MergeScope& s, const CollectionAcquisition& acq, MergeRun& run,
                  MergeReport& report, std::unique_ptr<OrphanPolicy>* policy) {
  const MergeRequest& req = *s.req;
  ASSIGN_OR_RETURN(const LocalSnapshot* committed, acq.snapshot());
  const std::vector<CommittedFile>& files = committed->files;
  // With --cleanup-orphans a single file is rewritten on its own: the orphans of an Rdb that
  // has one file would otherwise stay until a second file appears.
  ASSIGN_OR_RETURN(MergePlan plan, PlanMerge(files, *s.rdb, req.selection, req.file_ids,
                                             req.min_files, s.coll->part_size, s.cleanup));
  if (req.misplaced && plan.existing_target) {
    return FailedPreconditionStatus("an interrupted merge (" + plan.target_data + ") of " + s.ns +
                                    " must be finished first: shardtool merge " + req.database +
                                    " --rdb " + s.coll->rdb + " --auto");
  }
  if (plan.nothing_to_do()) {
    report.nothing_to_do = true;
    report.note = plan.note;
    return Status::Ok();
  }
  size_t normal = 0;
  for (const CommittedFile& f : files) normal += f.merge ? 0 : 1;
  const bool whole_set = !plan.existing_target && plan.inputs.size() == normal;
  if (s.cleanup) {
    ASSIGN_OR_RETURN(*policy, MakeOrphanPolicy(s));
  }
  MergeJournal j = NewJournal(req, *s.catalog, *s.coll, *s.db, plan, whole_set, policy->get(),
                              s.fs->NowMicros() / 1000000);
  if (plan.incorporate_only) return FinishGigablastIncorporate(s, run, std::move(j), plan, report);
  return run.Run(std::move(j),
                 plan.existing_target ? MergeRun::Mode::kUnjournaled : MergeRun::Mode::kFresh);
}

// After the run: the orphan outcome (doc/acquisition.md §6), the range deletions a committed
// cleanup over the whole set completes, and the stash of a resumable stop.
Status FinishMerge(AcquisitionContext& actx, const MergeScope& s, const OrphanPolicy* policy,
                   MergeReport& report) {
  const MergeRequest& req = *s.req;
  if (policy) report.deferred_leases = DeferredLeases(*policy, report.slots_deferred);
  if (report.outcome.ok() && s.cleanup) {
    report.outcome = OrphanCleanupOutcome(s.ns, report.counters.orphans_dropped,
                                          report.counters.orphans_deferred, report.slots_deferred,
                                          report.deferred_leases);
  }
  if (!report.range_deletions_to_complete.empty() && actx.state() == ContextState::kActive &&
      actx.Yield().ok()) {
    // A committed cleanup over the whole set (doc/acquisition.md §6): global X, one try; if busy,
    // left for later. The yield let go of the global and db locks; the coll X stays.
    auto done =
        CompleteRangeDeletions(s.fs, req.workdir, s.uuid, report.range_deletions_to_complete);
    if (done.ok()) report.range_deletions_completed = *done;
    actx.Restore().IgnoreError();
  }
  if (report.outcome.code() == ErrorCode::kInterrupted && !req.dry_run &&
      actx.state() == ContextState::kActive) {
    // A resumable stop (doc/acquisition.md §7): the acquisition goes to the journal with the last
    // key.
    std::string last_key;
    for (const ErrorInfo& info : report.outcome.info()) {
      if (info.name == "last_key" && std::holds_alternative<std::string>(info.value)) {
        last_key = std::get<std::string>(info.value);
      }
    }
    RETURN_IF_ERROR(actx.Stash(MergeStashName(s.ns), last_key));
  }
  return Status::Ok();
}

}  // namespace

Result<MergeReport> RunMerge(FileSystem* fs, const MergeRequest& req, const MergeEnv& env) {
  const int64_t t0 = fs->NowMicros();
  if (!IsValidNamePart(req.database) || !IsValidNamePart(req.rdb)) {
    return InvalidNamespaceStatus("'" + req.database + "." + req.rdb + "' is not a valid namespace")
        .With("input", req.database + "." + req.rdb);
  }
  MergeScope s;
  s.fs = fs;
  s.req = &req;
  s.env = &env;
  s.ns = req.database + "." + req.rdb;

  ShardRoleOptions so;
  so.fs = fs;
  so.workdir = req.workdir;
  so.locks = env.locks;
  so.job = "merge";
  AcquisitionContext actx(so);
  ASSIGN_OR_RETURN(CollectionAcquisition acq, AcquireForMerge(actx, req, s.ns));
  RETURN_IF_ERROR(LookUpCollection(actx, acq, &s));

  MergeReport report;
  report.database = req.database;
  report.rdb = s.coll->rdb;
  report.ns = s.ns;
  report.dry_run = req.dry_run;
  // No Gigablast at work here (the collection's claim is the acquisition's lock).
  if (!req.force) {
    ASSIGN_OR_RETURN(auto running, FindGigablast(req.workdir, env.gigablast));
    if (running) {
      return BusyStatus("Gigablast is running in this working dir (" + *running +
                        "): stop it first, or use --force")
          .With("process", *running);
    }
  }

  MergeEnv run_env = env;
  run_env.yield = [&actx](uint64_t records) { return actx.MaybeYield(records); };
  MergeRun run(fs, req, run_env, *s.catalog, *s.coll, *s.rdb, &report);
  ASSIGN_OR_RETURN(std::optional<MergeJournal> journal,
                   ReadMergeJournal(fs, req.workdir, s.coll->uuid));
  std::unique_ptr<OrphanPolicy> policy;
  if (req.abort) {
    RETURN_IF_ERROR(AbortMerge(fs, req.workdir, journal, &report));
  } else if (journal) {
    RETURN_IF_ERROR(ResumeJournaled(s, run, std::move(*journal), report));
  } else {
    RETURN_IF_ERROR(StartMerge(s, acq, run, report, &policy));
    if (report.nothing_to_do) {
      report.seconds = static_cast<double>(fs->NowMicros() - t0) / 1e6;
      return report;
    }
  }
  RETURN_IF_ERROR(FinishMerge(actx, s, policy.get(), report));
  report.seconds = static_cast<double>(fs->NowMicros() - t0) / 1e6;
  return report;
}

}  // namespace shardtool
