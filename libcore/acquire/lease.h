// Leases: the range preserver of doc/acquisition.md §6. A reader of an existing collection writes
//
//   shardtool/leases/<uuid>/<hostname>-<pid>-<nonce>.json
//   {pid, host, procStart, job, ns, uuid, catalogEpoch, catalogVersion, generation, version,
//    ownedSlots, files, createdAt, heartbeatAt, expiresAt [, stashed]}
//
// before it opens its files, and removes it on release. While the lease is live, a merge does not
// delete a retired file the lease lists, and an orphan cleanup does not drop records of slots the
// lease owned under an older catalog (jobs/merge/orphan_policy.h). version is the shard version
// received (null when unversioned); ownedSlots the filter's owned [min,max) ranges, or "all"
// (unversioned or unsharded); files the snapshot's part-0 data names. Times are Unix seconds.
//
// Liveness. A lease is *stale* when expiresAt has passed, or when its host is this host and its
// pid is not running or runs with another procStart (pid reuse); a stashed lease (pid 0) is stale
// only by expiry. Anyone may delete (reap) a stale lease. A file that does not parse is treated as
// live until its mtime is kStashTtlSeconds + kLeaseTtlSeconds old (a hand-damaged lease neither
// blocks forever nor is ignored at once).
//
// Writing. Leases are written atomically: "<name>.tmp" then rename over "<name>". They are not
// fsynced, and neither is the directory: a crash of the machine ends every process of this host,
// and a lease that survives such a crash names a dead pid, so it is stale and reaped; a lease lost
// in a crash protects nobody who still runs. Listing skips the ".tmp" files of writers in flight;
// a reaper removes the ".tmp" files of dead processes of this host.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acquire/process_info.h"
#include "acquire/slot_list.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "io/file_system.h"

namespace shardtool {

constexpr int64_t kLeaseTtlSeconds = 60;           // expiresAt = heartbeat + 60 s
constexpr int64_t kHeartbeatIntervalSeconds = 10;  // the heartbeat thread's period
constexpr int64_t kStashTtlSeconds = 900;          // a stashed lease's expiresAt = now + 900 s

struct Lease {
  int64_t pid = 0;  // 0: stashed (no process holds it)
  std::string host;
  uint64_t proc_start = 0;
  std::string job;
  std::string ns;
  std::string uuid;
  std::string catalog_epoch;
  uint64_t catalog_version = 0;
  std::optional<CollectionGeneration> generation;
  std::optional<std::string> version;  // shard version text received; null: none
  SlotListPtr owned_slots;             // nullptr: "all"
  std::vector<std::string> files;
  int64_t created_at = 0;
  int64_t heartbeat_at = 0;
  int64_t expires_at = 0;
  std::optional<std::string> stashed;  // the journal holding the stashed acquisition

  // True when ownedSlots overlaps `slots` ("all" overlaps everything non-empty).
  bool OwnsAnyOf(const std::vector<SlotRange>& slots) const;
  bool ListsFile(std::string_view name) const;
  // Field by field (owned slots by content).
  friend bool operator==(const Lease& a, const Lease& b);
};

std::string SerializeLease(const Lease& lease);
// CorruptCatalog{path, detail} when the text is not a lease.
Result<Lease> ParseLease(std::string_view text, std::string_view path);

// One file of a lease directory.
struct LeaseFile {
  std::string name;  // "<host>-<pid>-<nonce>.json"
  std::string path;
  std::optional<Lease> lease;  // nullopt: unreadable (see the liveness rule above)
  FileStat stat;
};

// Leases of one working dir. Stateless apart from its parameters; thread-safe.
class LeaseStore {
 public:
  LeaseStore(FileSystem* fs, std::string workdir, ProcessInfo* process);

  FileSystem* fs() const { return fs_; }
  const std::string& workdir() const { return workdir_; }
  ProcessInfo* process() const { return process_; }

  // A fresh lease name for this process: "<host>-<pid>-<nonce>.json".
  std::string NewName() const;
  std::string PathOf(std::string_view uuid, std::string_view name) const;
  int64_t NowSeconds() const;

  // Writes (or replaces) the lease atomically (see the comment atop this file).
  Status Write(std::string_view uuid, std::string_view name, const Lease& lease) const;
  // Replaces the lease only when it still exists; NotFound (nothing written) when it was reaped.
  Status Rewrite(std::string_view uuid, std::string_view name, const Lease& lease) const;
  // Removes the lease; Ok when it is already gone.
  Status Remove(std::string_view uuid, std::string_view name) const;
  Result<Lease> Read(std::string_view uuid, std::string_view name) const;

  // The leases of a collection (".tmp" files skipped), sorted by name. A missing dir gives none.
  Result<std::vector<LeaseFile>> List(std::string_view uuid) const;
  bool IsStale(const LeaseFile& file, int64_t now) const;
  bool IsStale(const Lease& lease, int64_t now) const;
  // The live leases of a collection; stale ones (and dead writers' temporaries) are reaped
  // (best effort: a failed removal is ignored, the next reaper retries) when `reap` is set.
  Result<std::vector<LeaseFile>> Live(std::string_view uuid, bool reap) const;

 private:
  FileSystem* fs_;
  std::string workdir_;
  ProcessInfo* process_;
};

// The builder of a fresh lease of this process (pid, host, procStart filled in; times now, now,
// now + kLeaseTtlSeconds).
Lease NewLease(ProcessInfo* process, int64_t now);

}  // namespace shardtool
