// `inspect db <db>` (doc/architecture.md §4): everything this host knows about one database, read
// from the coll dir and shardtool/ without taking any lock and without writing anything (no lease
// either: inspect db only lists and reads headers, it never holds a file open across a merge's
// commit).
//
// Per collection of the catalog: every data file on disk (committed or retired, normal or merge
// file) with its parts, sizes, map counts and key range, page size, sidecar state and headless
// state; the merge journal (a merge in progress or interrupted); the retired list; the leases
// (live or stale, never reaped here); the range deletions. For the database: the other state files
// of shardtool/journal/ that belong to it, the quarantine entries and bookmarks naming it, Rdbs
// found on disk but not in the catalog, and totals. A state file that does not parse is reported
// (its error text) rather than failing the whole report: inspect is what an operator runs when
// something is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acquire/process_info.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/discovery.h"
#include "catalog/retired_files.h"
#include "io/file_system.h"

namespace shardtool {

struct DbFileInfo {
  std::string name;  // part-0 data name
  int32_t id = 0;
  bool merge = false;  // a merge target (even id, ".NNN" files count)
  int32_t merge_files = 0;
  bool retired = false;  // listed in the retired list (still on disk, out of every new snapshot)
  std::vector<DataFilePart> parts;
  uint64_t size = 0;        // logical size
  uint64_t disk_bytes = 0;  // bytes of the present parts
  bool headless = false;
  int32_t first_part = 0;
  uint32_t page_size = 0;
  bool map_ok = false;
  std::string map_error;
  int64_t positive = 0, negative = 0;
  std::string first_key, last_key;  // hex; empty when no record
  // "present" (covers the file), "stale" (C3), "missing" (C5) or "corrupt" (C1/C2).
  std::string sidecar = "missing";
  std::string sidecar_detail;
};

struct DbLeaseInfo {
  std::string name;
  bool readable = false;
  std::string error;  // why it does not parse
  bool stale = false;
  int64_t pid = 0;
  std::string host, job;
  uint64_t catalog_version = 0;
  std::string version;  // shard version text, "" when unversioned
  int64_t created_at = 0, expires_at = 0;
  std::string stashed;  // journal of a stashed lease
  size_t files = 0;
};

struct DbMergeInfo {
  bool readable = false;
  std::string error;
  std::string state, phase;
  std::vector<std::string> inputs;
  std::string target, final_name;
  int64_t started = 0, updated = 0;
  uint64_t target_size = 0;
  int64_t records_in = 0, records_out = 0;
  std::string last_key;
};

struct DbCollectionInfo {
  std::string ns, uuid, rdb;
  bool sharded = false;
  std::string shard_version;  // this host's shard version text
  uint64_t part_size = 0;
  std::vector<DbFileInfo> files;  // sorted by (id, name)
  std::optional<DbMergeInfo> merge;
  std::string retired_error;  // the retired list does not parse
  std::vector<RetiredFile> retired;
  std::vector<DbLeaseInfo> leases;
  std::vector<RangeDeletion> range_deletions;
  // Totals over committed (not retired) files.
  int64_t files_committed = 0, positive = 0, negative = 0;
  uint64_t bytes = 0;
};

struct DbStateFile {
  std::string path;  // relative to the working dir
  uint64_t size = 0;
  std::string detail;  // what it is, or why it is unreadable
};

struct DbQuarantineInfo {
  std::string entry;  // shardtool/quarantine/<entry>
  bool readable = false;
  std::string error;
  std::string kind, rdb, created;
  int32_t target_shard = 0;
  int64_t positive = 0, negative = 0;
  std::vector<std::string> reasons, sources;  // distinct, sorted
};

// The entries of shardtool/quarantine/ of `database`, by name (an unreadable one with its error).
void QuarantineEntries(FileSystem* fs, const std::string& workdir, const std::string& database,
                       std::vector<DbQuarantineInfo>* out);

struct DbReport {
  std::string database, uuid, dir, db_version;  // db_version "" when unknown
  int32_t collnum = 0;
  int32_t host_id = 0, shard = 0;
  std::string catalog_epoch;
  uint64_t catalog_version = 0;
  bool dir_present = false;
  std::vector<DbCollectionInfo> collections;   // by ns
  std::vector<std::string> views;              // "main.recent on main.titledb"
  std::vector<std::string> uncatalogued_rdbs;  // data files on disk, no collection in the catalog
  std::vector<DbStateFile> journals;           // shardtool/journal/ files of this database
  std::vector<DbStateFile> bookmarks;          // shardtool/bookmarks/ files of this database
  // Spill-run directories an import of this database left in shardtool/tmp/ (killed, or stopped
  // mid-batch): a cache only, removed by the next import of the same source.
  std::vector<DbStateFile> spill_runs;
  std::vector<DbQuarantineInfo> quarantine;
  // Totals over every collection (committed files).
  int64_t files = 0, positive = 0, negative = 0;
  uint64_t bytes = 0;
  int64_t live_leases = 0, merges = 0, retired_files = 0;
};

struct InspectDbOptions {
  ProcessInfo* process = nullptr;  // lease liveness; default SystemProcessInfo()
  int64_t now = 0;                 // Unix seconds; 0: the file system's clock
};

// InvalidNamespace for a bad name, NamespaceNotFound when the catalog has no such database.
Result<DbReport> InspectDb(FileSystem* fs, const std::string& workdir, const Catalog& catalog,
                           const std::string& database, const InspectDbOptions& opt);

}  // namespace shardtool
