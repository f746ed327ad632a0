#include "jobs/verify_plan.h"

#include <algorithm>

#include "catalog/discovery.h"
#include "catalog/namespace.h"

namespace shardtool {

SlotOwners SlotOwnersOf(const CollectionEntry& c, int32_t self_shard) {
  SlotOwners o;
  o.owner.fill(-1);
  for (const Chunk& ch : c.chunks) {
    for (int32_t s = std::max(0, ch.min); s < std::min<int32_t>(ch.max, kNumSlots); s++) {
      o.owner[static_cast<size_t>(s)] = static_cast<int16_t>(ch.shard);
    }
  }
  o.self = static_cast<int16_t>(self_shard);
  return o;
}

Result<VerifyPlan> PlanVerify(FileSystem* fs, const std::string& workdir, const Catalog& catalog,
                              const VerifySelection& sel) {
  if (!IsValidNamePart(sel.database)) {
    return InvalidNamespaceStatus("'" + sel.database + "' is not a valid database name")
        .With("input", sel.database);
  }
  const DatabaseEntry* db = catalog.FindDatabase(sel.database);
  if (db == nullptr) {
    return NamespaceNotFoundStatus("database '" + sel.database +
                                   "' is not in the catalog (run shardtool init?)")
        .With("db", sel.database)
        .WithNull("uuid");
  }
  VerifyPlan plan;
  plan.database = sel.database;
  plan.host_id = catalog.this_host;
  plan.shard = catalog.this_shard();
  plan.catalog_epoch = catalog.epoch;
  plan.catalog_version = catalog.version;
  for (const std::string& r : sel.rdbs) {
    if (FindRdb(r) == nullptr) return UsageErrorStatus("--rdb " + r + ": not a known Rdb");
  }
  std::vector<std::string> unmatched = sel.files;
  for (const CollectionEntry& c : catalog.collections) {
    if (c.db() != sel.database) continue;
    if (!sel.rdbs.empty() && std::find(sel.rdbs.begin(), sel.rdbs.end(), c.rdb) == sel.rdbs.end())
      continue;
    const RdbInfo* rdb = FindRdb(c.rdb);
    if (rdb == nullptr) continue;
    VerifyCollection vc;
    vc.ns = c.ns;
    vc.rdb = rdb;
    vc.dir = JoinPath(workdir, db->DirName());
    vc.part_size = c.part_size;
    ASSIGN_OR_RETURN(auto files, ListCommittedFiles(fs, workdir, catalog, c));
    for (const CommittedFile& f : files) {
      if (!sel.files.empty() &&
          std::find(sel.files.begin(), sel.files.end(), f.name) == sel.files.end())
        continue;
      unmatched.erase(std::remove(unmatched.begin(), unmatched.end(), f.name), unmatched.end());
      vc.data_files.push_back(f.name);
    }
    if (!sel.unversioned && c.sharded) {
      if (c.placement_unknown()) {
        return StaleConfigStatus(
                   c.ns + ": placement unknown (generation null); run shardtool catalog reshard")
            .With("ns", c.ns)
            .With("received", std::string("none"))
            .WithNull("wanted")
            .With("shardId", int64_t{plan.shard});
      }
      vc.owners = SlotOwnersOf(c, plan.shard);
    }
    if (!vc.data_files.empty() || sel.files.empty()) plan.collections.push_back(std::move(vc));
  }
  if (!unmatched.empty()) {
    return UsageErrorStatus("--file " + unmatched.front() +
                            ": no such committed data file in database " + sel.database);
  }
  return plan;
}

}  // namespace shardtool
