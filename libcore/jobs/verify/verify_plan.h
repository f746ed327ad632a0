// What verify checks: the selection given on the command line, and the plan made from the
// acquisitions (verify_acquire.h): the database's collections with their committed files and,
// per sharded description, who owns which slot (doc/acquisition.md §4's ownership filter).
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "jobs/verify/verify_job.h"

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

}  // namespace shardtool
