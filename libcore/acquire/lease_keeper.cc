#include "acquire/lease_keeper.h"

#include <chrono>

namespace shardtool {

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t LeaseKeeper::Register(const LeaseStore& store, std::string uuid, std::string name,
                               Lease lease) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  const int64_t now = store.fs()->NowMicros();
  entries_.emplace(id,
                   Entry{store, std::move(uuid), std::move(name), std::move(lease), now, false});
  return id;
}

void LeaseKeeper::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(id);
}

Status LeaseKeeper::RefreshLocked(Entry& e) {
  if (e.lost) return NotFoundStatus("lease " + e.name + " was lost");
  const int64_t now_micros = e.store.fs()->NowMicros();
  const int64_t now = now_micros / 1000000;
  if (now > e.lease.expires_at) {
    e.lost = true;  // expired: a reaper may have acted on it already; never resurrect it
    return NotFoundStatus("lease " + e.name + " expired at " + std::to_string(e.lease.expires_at) +
                          " before it was refreshed");
  }
  Lease next = e.lease;
  next.heartbeat_at = now;
  next.expires_at = now + kLeaseTtlSeconds;
  Status s = e.store.Rewrite(e.uuid, e.name, next);
  if (!s.ok()) {
    if (s.code() == ErrorCode::kNotFound) e.lost = true;
    return s;
  }
  e.lease = std::move(next);
  e.refreshed_micros = now_micros;
  return Status::Ok();
}

Status LeaseKeeper::Refresh(uint64_t id, int64_t min_interval_micros) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return NotFoundStatus("lease id " + std::to_string(id) + " unknown");
  Entry& e = it->second;
  if (!e.lost && min_interval_micros > 0 &&
      e.store.fs()->NowMicros() - e.refreshed_micros < min_interval_micros) {
    return Status::Ok();
  }
  return RefreshLocked(e);
}

void LeaseKeeper::RefreshAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, e] : entries_) RefreshLocked(e).IgnoreError();  // marks lost leases
}

bool LeaseKeeper::IsLost(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() || it->second.lost;
}

std::optional<Lease> LeaseKeeper::Get(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.lease;
}

size_t LeaseKeeper::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void LeaseKeeper::StartHeartbeat(int64_t interval_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_started_) return;
  thread_started_ = true;
  thread_ = std::thread([this, interval_ms] { HeartbeatLoop(interval_ms); });
}

void LeaseKeeper::HeartbeatLoop(int64_t interval_ms) {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; });
      if (stop_) return;
    }
    RefreshAll();
  }
}

LeaseKeeper* LeaseKeeper::Process() {
  static auto* keeper = new LeaseKeeper();  // never destroyed: its thread runs until exit
  return keeper;
}

}  // namespace shardtool
