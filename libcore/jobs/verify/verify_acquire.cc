#include "jobs/verify/verify_acquire.h"

#include <algorithm>

#include "catalog/namespace.h"
#include "format/file_name.h"
#include "io/test_point.h"

namespace shardtool {

std::string VerifyStashName(const std::string& database) { return "verify." + database + ".json"; }

namespace {

// A merge target Gigablast is writing: a merge file (no shardtool journal hides it) whose first
// input (id + 1) is still present; its inputs are the normal files that follow it, up to its mmm.
std::optional<VerifyCollection::GigablastMerge> GigablastMergeOf(
    const CommittedFile& f, const std::vector<CommittedFile>& files) {
  if (!f.merge) return std::nullopt;
  auto name = ParseDataFileName(f.name);
  if (!name) return std::nullopt;
  VerifyCollection::GigablastMerge m;
  m.target = f.name;
  for (const CommittedFile& g : files) {
    if (g.merge || g.id <= f.id) continue;
    if (m.inputs.empty() && g.id != f.id + 1) return std::nullopt;
    if (static_cast<int32_t>(m.inputs.size()) < name->merge_files) m.inputs.push_back(g.name);
  }
  if (m.inputs.empty()) return std::nullopt;
  return m;
}

// The plan of the acquired collections.
Result<VerifyPlan> PlanFromAcquisitions(const CatalogSnapshot& snap, const VerifySelection& sel,
                                        const std::vector<CollectionAcquisition>& handles) {
  VerifyPlan plan;
  plan.database = sel.database;
  plan.host_id = snap.catalog().this_host;
  plan.shard = snap.this_shard();
  plan.catalog_epoch = snap.epoch();
  plan.catalog_version = snap.version();
  std::vector<std::string> unmatched = sel.files;
  for (const CollectionAcquisition& h : handles) {
    if (!h.exists()) continue;  // gone between the router's catalog read and its acquisition
    plan.catalog_epoch = h.catalog_epoch();
    plan.catalog_version = h.catalog_version();
    const std::string name = h.ns().substr(h.ns().find('.') + 1);
    ASSIGN_OR_RETURN(std::string uuid, h.uuid());
    const CollectionEntry* c = snap.FindCollectionByUuid(uuid);
    const RdbInfo* rdb = FindRdb(c != nullptr ? std::string_view(c->rdb) : std::string_view(name));
    if (rdb == nullptr) continue;
    ASSIGN_OR_RETURN(const LocalSnapshot* files, h.snapshot());
    VerifyCollection vc;
    vc.ns = h.ns();
    vc.rdb = rdb;
    vc.dir = files->dir;
    if (c != nullptr) vc.part_size = c->part_size;
    for (const CommittedFile& f : files->files) {
      if (!sel.files.empty() &&
          std::find(sel.files.begin(), sel.files.end(), f.name) == sel.files.end())
        continue;
      std::erase(unmatched, f.name);
      vc.data_files.push_back(f.name);
      if (auto m = GigablastMergeOf(f, files->files)) vc.gigablast_merges.push_back(std::move(*m));
      // A merge that includes the oldest file drops negatives (doc/format.md §8 rule 3, as
      // merge_plan.cc decides it): its target holds none while no older normal file is present.
      const auto older = [&f](const CommittedFile& g) { return !g.merge && g.id < f.id; };
      if (f.merge && std::none_of(files->files.begin(), files->files.end(), older))
        vc.negative_free.push_back(f.name);
    }
    ASSIGN_OR_RETURN(const ShardingDescription* d, h.sharding());
    if (d->is_sharded()) {
      ASSIGN_OR_RETURN(std::shared_ptr<const SlotOwnerTable> owners, d->slot_owners());
      SlotOwners o;
      o.owner = *owners;
      o.self = static_cast<int16_t>(d->shard());
      vc.owners = o;
      plan.shard = d->shard();
    }
    if (!vc.data_files.empty() || sel.files.empty()) plan.collections.push_back(std::move(vc));
  }
  if (!unmatched.empty()) {
    return UsageErrorStatus("--file " + unmatched.front() +
                            ": no such committed data file in database " + sel.database);
  }
  return plan;
}

bool Selected(const VerifySelection& sel, std::string_view rdb) {
  return sel.rdbs.empty() || std::find(sel.rdbs.begin(), sel.rdbs.end(), rdb) != sel.rdbs.end();
}

}  // namespace

Result<VerifyAcquired> AcquireVerify(AcquisitionContext& ctx, const VerifyAcquireRequest& req) {
  VerifySelection sel = req.selection;
  sel.unversioned = req.pins.none;
  if (!IsValidNamePart(sel.database)) {
    return InvalidNamespaceStatus("'" + sel.database + "' is not a valid database name")
        .With("input", sel.database);
  }
  for (const std::string& r : sel.rdbs) {
    if (FindRdb(r) == nullptr) return UsageErrorStatus("--rdb " + r + ": not a known Rdb");
  }
  const ShardRoleOptions& o = ctx.options();
  const std::string stash = VerifyStashName(sel.database);
  VerifyAcquired out;
  if (req.resume) {
    auto adopted = ctx.AdoptStash(stash);
    if (adopted.ok()) {
      out.resumed = true;
      for (const CollectionOrViewAcquisition& a : adopted->acquisitions) {
        if (a.is_view()) continue;
        const std::string name = a.ns().substr(a.ns().find('.') + 1);
        if (Selected(sel, name)) out.handles.push_back(a.collection());
      }
    } else if (adopted.status().code() != ErrorCode::kNotFound) {
      return adopted.status();  // the stash is dismissed; QueryPlanKilled and friends
    }
  } else {
    RETURN_IF_ERROR(ctx.DismissStash(stash));
  }
  if (!out.resumed) {
    ASSIGN_OR_RETURN(std::shared_ptr<const CatalogSnapshot> snap, o.catalogs->Get(o.fs, o.workdir));
    if (snap->FindDatabase(sel.database) == nullptr) {
      return NamespaceNotFoundStatus("database '" + sel.database +
                                     "' is not in the catalog (run shardtool init?)")
          .With("db", sel.database)
          .WithNull("uuid");
    }
    CommandAcquireRequest r;
    for (const CollectionEntry& c : snap->catalog().collections) {
      if (c.db() == sel.database && FindRdb(c.rdb) != nullptr && Selected(sel, c.name())) {
        r.namespaces.push_back(c.ns);
      }
    }
    r.operation = OperationType::kRead;
    r.view_mode = ViewMode::kMustBeCollection;
    r.maybe_lock_free = true;
    r.lock_timeout_ms = req.lock_timeout_ms;
    r.pins = req.pins;
    if (!r.namespaces.empty()) {
      ASSIGN_OR_RETURN(std::vector<CollectionOrViewAcquisition> got, AcquireForCommand(ctx, r));
      for (const CollectionOrViewAcquisition& a : got) out.handles.push_back(a.collection());
    }
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CatalogSnapshot> snap, o.catalogs->Get(o.fs, o.workdir));
  ASSIGN_OR_RETURN(out.plan, PlanFromAcquisitions(*snap, sel, out.handles));
  TEST_POINT("verify.after_acquire");
  return out;
}

}  // namespace shardtool
