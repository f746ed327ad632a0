// LeaseKeeper: the leases this process holds, kept fresh (doc/acquisition.md §6). Every held lease
// is registered here; a heartbeat thread (every kHeartbeatIntervalSeconds) and each yield and
// restore of its acquisition set its heartbeatAt = now and expiresAt = now + kLeaseTtlSeconds, and
// nothing else. A lease that expired before it could be refreshed is never rewritten (that would
// resurrect a lease a reaper may already have acted on): it is marked lost, and so is a lease found
// gone; the acquisition's restore then fails with QueryPlanKilled{leaseLost}.
//
// The heartbeat's waiting is the only use of real time in the acquire layer (a condition variable,
// so that it can stop at once); the times it writes come from the lease's FileSystem::NowMicros.
// Tests on a fake clock do not start the thread and call RefreshAll() themselves.
// Thread-safe. A keeper's destructor stops its thread; the process-wide keeper is never destroyed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "acquire/lease.h"

namespace shardtool {

class LeaseKeeper {
 public:
  LeaseKeeper() = default;
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Registers a lease already on disk; returns its id. REQUIRES: store.fs() outlives the
  // registration.
  uint64_t Register(const LeaseStore& store, std::string uuid, std::string name, Lease lease);
  // Forgets a lease (the caller removes or keeps the file). No-op for an unknown id.
  void Unregister(uint64_t id);

  // Refreshes one lease unless it was refreshed less than min_interval_micros ago. NotFound when
  // the lease is lost (expired before this refresh, or gone).
  Status Refresh(uint64_t id, int64_t min_interval_micros = 0);
  // Refreshes every registered lease (errors mark leases lost; they are not returned).
  void RefreshAll();
  // False once a lease was found expired or gone.
  bool IsLost(uint64_t id) const;
  // The lease as last written (nullopt for an unknown id).
  std::optional<Lease> Get(uint64_t id) const;
  size_t size() const;

  // Starts the heartbeat thread (idempotent; the first interval wins).
  void StartHeartbeat(int64_t interval_ms = kHeartbeatIntervalSeconds * 1000);

  // The process-wide keeper.
  static LeaseKeeper* Process();

 private:
  struct Entry {
    LeaseStore store;
    std::string uuid;
    std::string name;
    Lease lease;
    int64_t refreshed_micros = 0;
    bool lost = false;
  };
  Status RefreshLocked(Entry& e);
  void HeartbeatLoop(int64_t interval_ms);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> entries_;
  uint64_t next_id_ = 1;
  bool thread_started_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace shardtool
