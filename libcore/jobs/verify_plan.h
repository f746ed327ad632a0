// Which files verify checks and who owns which slot, from a catalog: the database's collections
// (optionally only some Rdbs and files), their committed files, and per sharded collection with a
// known placement the slot owners and this host's shard (SHARD-ROLE.md §4's ownership filter).
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "jobs/verify_job.h"

namespace shardtool {

struct VerifySelection {
  std::string database;
  std::vector<std::string> rdbs;   // empty: every collection of the database
  std::vector<std::string> files;  // empty: every committed file; else data file names
  bool unversioned = false;        // --placement none: ownership not checked
};

struct VerifyPlan {
  std::string database;
  int32_t host_id = 0;
  int32_t shard = 0;
  std::string catalog_epoch;
  uint64_t catalog_version = 0;
  std::vector<VerifyCollection> collections;
};

// NamespaceNotFound when the database is absent, UsageError for an unknown --rdb or a --file
// that matches no committed file, StaleConfig when a sharded collection's placement is unknown
// (its generation is null) and ownership is to be checked.
Result<VerifyPlan> PlanVerify(FileSystem* fs, const std::string& workdir, const Catalog& catalog,
                              const VerifySelection& sel);

// The owner of every slot from a collection's chunks, and this host's shard.
SlotOwners SlotOwnersOf(const CollectionEntry& c, int32_t self_shard);

}  // namespace shardtool
