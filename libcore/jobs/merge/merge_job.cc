#include "jobs/merge/merge_job.h"

#include <algorithm>

#include "acquire/acquisition.h"
#include "acquire/router.h"
#include "catalog/discovery.h"
#include "catalog/namespace.h"
#include "catalog/ownership_filter.h"
#include "jobs/merge/merge_discard.h"
#include "jobs/merge/merge_plan.h"
#include "jobs/merge/merge_run.h"

namespace shardtool {

std::string MergeStashName(const std::string& ns) { return "merge." + ns + ".stash.json"; }

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

}  // namespace

Result<MergeReport> RunMerge(FileSystem* fs, const MergeRequest& req, const MergeEnv& env) {
  const int64_t t0 = fs->NowMicros();
  if (!IsValidNamePart(req.database) || !IsValidNamePart(req.rdb)) {
    return InvalidNamespaceStatus("'" + req.database + "." + req.rdb + "' is not a valid namespace")
        .With("input", req.database + "." + req.rdb);
  }
  const std::string ns = req.database + "." + req.rdb;

  // The acquisition: the write acquisition of the collection (a locked read for --dry-run),
  // adopted from the stash of a stopped run when there is one, else through the router.
  ShardRoleOptions so;
  so.fs = fs;
  so.workdir = req.workdir;
  so.locks = env.locks;
  so.job = "merge";
  AcquisitionContext actx(so);
  const std::string stash = MergeStashName(ns);
  CollectionAcquisition acq;
  bool adopted = false;
  if (!req.dry_run) {
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
  ASSIGN_OR_RETURN(std::string uuid, acq.uuid());
  CatalogCache* catalogs = actx.options().catalogs;
  ASSIGN_OR_RETURN(std::shared_ptr<const CatalogSnapshot> snap, catalogs->Get(fs, req.workdir));
  const Catalog& catalog = snap->catalog();
  const DatabaseEntry* db = catalog.FindDatabase(req.database);
  const CollectionEntry* coll = catalog.FindCollectionByUuid(uuid);
  if (db == nullptr || coll == nullptr || coll->ns != ns) {
    // Changed between the acquisition and this read: the next restore says how; stop now.
    return QueryPlanKilledStatus(ns + ": the catalog changed while the merge acquired it")
        .With("ns", ns)
        .With("reason", std::string("changed"));
  }
  const RdbInfo* rdb = FindRdb(coll->rdb);
  if (rdb == nullptr) return InternalErrorStatus(ns + ": unknown Rdb " + coll->rdb);
  const bool cleanup = (req.cleanup_orphans || !req.orphans_to.empty()) && rdb->shardable();
  if (cleanup && coll->placement_unknown()) {
    return StaleConfigStatus(ns +
                             ": placement unknown (generation null); run shardtool catalog "
                             "reshard before cleaning up orphans")
        .With("ns", ns)
        .WithNull("wanted");
  }

  MergeReport report;
  report.database = req.database;
  report.rdb = coll->rdb;
  report.ns = ns;
  report.dry_run = req.dry_run;

  // No Gigablast at work here (the collection's claim is the acquisition's lock).
  if (!req.force) {
    std::unique_ptr<GigablastDetector> own;
    GigablastDetector* detector = env.gigablast;
    if (detector == nullptr) {
      own = MakeGigablastDetector();
      detector = own.get();
    }
    ASSIGN_OR_RETURN(auto running, detector->Find(req.workdir));
    if (running) {
      return BusyStatus("Gigablast is running in this working dir (" + *running +
                        "): stop it first, or use --force")
          .With("process", *running);
    }
  }
  MergeEnv run_env = env;
  run_env.yield = [&actx](uint64_t records) { return actx.MaybeYield(records); };

  MergeRun run(fs, req, run_env, catalog, *coll, *rdb, &report);
  ASSIGN_OR_RETURN(std::optional<MergeJournal> journal,
                   ReadMergeJournal(fs, req.workdir, coll->uuid));
  std::unique_ptr<OrphanPolicy> policy;
  if (req.abort) {
    RETURN_IF_ERROR(AbortMerge(fs, req.workdir, journal, &report));
  } else if (journal) {
    // An interrupted merge of this collection: it is finished first, with its own decisions.
    report.resumed = true;
    std::vector<int32_t> ids;
    for (const auto& in : journal->inputs) ids.push_back(in.id);
    if (req.selection == MergeSelection::kFiles && ids != req.file_ids) {
      return FailedPreconditionStatus("an interrupted merge of " + ns + " (files " +
                                      IdList(journal->inputs) +
                                      ") must be finished first: rerun with --auto or --files " +
                                      IdList(journal->inputs) + ", or discard it with --abort");
    }
    if (journal->state == "incorporating") {
      report.incorporate_only = true;
      if (req.dry_run) {
        report.note = "an interrupted incorporate of " + journal->target_data + " is pending";
        for (const auto& in : journal->inputs)
          report.inputs.push_back(JoinPath(journal->dir, in.name));
        report.output = JoinPath(journal->dir, journal->final_data);
        report.counters = journal->counters;
      } else {
        RETURN_IF_ERROR(run.Incorporate(std::move(*journal)));
      }
    } else {
      if (journal->cleanup_orphans != cleanup || journal->orphans_to != req.orphans_to) {
        return FailedPreconditionStatus(
            "an interrupted merge of " + ns + " (files " + IdList(journal->inputs) + ") ran " +
            (journal->cleanup_orphans
                 ? "with --cleanup-orphans" + (journal->orphans_to.empty()
                                                   ? std::string()
                                                   : " --orphans-to " + journal->orphans_to)
                 : std::string("without --cleanup-orphans")) +
            ": rerun it with the same orphan options");
      }
      RETURN_IF_ERROR(run.Run(std::move(*journal), MergeRun::Mode::kJournaled));
    }
  } else {
    ASSIGN_OR_RETURN(const LocalSnapshot* committed, acq.snapshot());
    const std::vector<CommittedFile>& files = committed->files;
    // With --cleanup-orphans a single file is rewritten on its own: the orphans of an Rdb that
    // has one file would otherwise stay until a second file appears.
    ASSIGN_OR_RETURN(MergePlan plan, PlanMerge(files, *rdb, req.selection, req.file_ids,
                                               req.min_files, coll->part_size, cleanup));
    if (plan.nothing_to_do()) {
      report.nothing_to_do = true;
      report.note = plan.note;
      report.seconds = static_cast<double>(fs->NowMicros() - t0) / 1e6;
      return report;
    }
    size_t normal = 0;
    for (const CommittedFile& f : files) normal += f.merge ? 0 : 1;
    const bool whole_set = !plan.existing_target && plan.inputs.size() == normal;
    if (cleanup) {
      if (env.orphan_policy) {
        ASSIGN_OR_RETURN(policy, env.orphan_policy(catalog, *coll));
      } else {
        ASSIGN_OR_RETURN(policy,
                         CatalogOrphanPolicy::Make(fs, req.workdir, catalog, *coll,
                                                   fs->NowMicros() / 1000000, req.orphan_delay));
      }
    }
    MergeJournal j = NewJournal(req, catalog, *coll, *db, plan, whole_set, policy.get(),
                                fs->NowMicros() / 1000000);
    if (plan.incorporate_only) {
      // Gigablast's interrupted incorporate: the inputs are gone, only the rename is due.
      report.resumed = report.incorporate_only = true;
      if (!req.dry_run) {
        TargetWriter::Options wo;
        wo.part_size = coll->part_size;
        TargetWriter w(fs, JoinPath(req.workdir, j.dir), j.target_data, j.target_map, j.target_crc,
                       *rdb, wo);
        ASSIGN_OR_RETURN(auto info, w.Resume(std::nullopt));
        (void)info;
        RETURN_IF_ERROR(w.Finish());  // map and sidecar as the data says
        j.state = "incorporating";
        RETURN_IF_ERROR(WriteMergeJournal(fs, req.workdir, j));
        RETURN_IF_ERROR(run.Incorporate(std::move(j)));
      } else {
        report.note = "an interrupted incorporate of " + plan.target_data + " is pending";
      }
    } else {
      RETURN_IF_ERROR(run.Run(std::move(j), plan.existing_target ? MergeRun::Mode::kUnjournaled
                                                                 : MergeRun::Mode::kFresh));
    }
  }

  // Orphan outcome (SHARD-ROLE.md §6): deferred records and none dropped is RangeDeletionDeferred.
  if (policy) {
    for (const SlotRange& r : report.slots_deferred) {
      for (int s = r.min; s < r.max; s++) {
        for (const std::string& l : policy->Leases(s)) {
          if (std::find(report.deferred_leases.begin(), report.deferred_leases.end(), l) ==
              report.deferred_leases.end()) {
            report.deferred_leases.push_back(l);
          }
        }
      }
    }
  }
  if (report.outcome.ok() && cleanup && report.counters.orphans_deferred > 0 &&
      report.counters.orphans_dropped == 0) {
    std::string leases;
    for (const std::string& l : report.deferred_leases) leases += (leases.empty() ? "" : ",") + l;
    report.outcome =
        RangeDeletionDeferredStatus(
            std::to_string(report.counters.orphans_deferred) + " records of slots " +
            SlotRangesText(report.slots_deferred) + " were kept: their range deletion is " +
            (leases.empty() ? "not ready yet" : "blocked by leases " + leases))
            .With("ns", ns)
            .With("slots", SlotRangesText(report.slots_deferred))
            .With("reason", std::string(leases.empty() ? "notReady" : "leaseHeld"))
            .With("leases", leases);
  }
  if (!report.range_deletions_to_complete.empty() && actx.state() == ContextState::kActive &&
      actx.Yield().ok()) {
    // A committed cleanup over the whole set (SHARD-ROLE.md §6): global X, one try; if busy,
    // left for later. The yield let go of the global and db locks; the coll X stays.
    auto done = CompleteRangeDeletions(fs, req.workdir, uuid, report.range_deletions_to_complete);
    if (done.ok()) report.range_deletions_completed = *done;
    actx.Restore().IgnoreError();
  }
  if (report.outcome.code() == ErrorCode::kInterrupted && !req.dry_run &&
      actx.state() == ContextState::kActive) {
    // A resumable stop (SHARD-ROLE.md §7): the acquisition goes to the journal with the last key.
    std::string last_key;
    for (const ErrorInfo& info : report.outcome.info()) {
      if (info.name == "last_key" && std::holds_alternative<std::string>(info.value)) {
        last_key = std::get<std::string>(info.value);
      }
    }
    RETURN_IF_ERROR(actx.Stash(stash, last_key));
  }
  report.seconds = static_cast<double>(fs->NowMicros() - t0) / 1e6;
  return report;
}

}  // namespace shardtool
