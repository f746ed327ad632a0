// MemFileSystem's disk accounting (SetCapacity and friends; see mem_file_system.h).
#include "io/mem_file_system.h"
#include "io/mem_file_system_state.h"

namespace shardtool {

void MemFileSystem::SetCapacity(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->track = true;
  state_->capacity = bytes;
  state_->peak = MemFileSystem::State::Used(state_->root.get());
}

uint64_t MemFileSystem::UsedBytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return MemFileSystem::State::Used(state_->root.get());
}

uint64_t MemFileSystem::PeakUsedBytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->peak;
}

Result<uint64_t> MemFileSystem::FreeBytes(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  RETURN_IF_ERROR(state_->CheckFrozen("statvfs", path));
  if (!state_->track) return UINT64_MAX;
  const uint64_t used = MemFileSystem::State::Used(state_->root.get());
  return used >= state_->capacity ? 0 : state_->capacity - used;
}

std::vector<std::string> MemFileSystem::ListRecursive() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::string> out;
  std::function<void(const State::Node&, const std::string&)> walk =
      [&](const State::Node& dir, const std::string& prefix) {
        for (const auto& [name, child] : dir.entries) {
          std::string p = prefix + "/" + name;
          if (child->is_dir) {
            out.push_back(p + "/");
            walk(*child, p);
          } else {
            out.push_back(p);
          }
        }
      };
  walk(*state_->root, "");
  std::sort(out.begin(), out.end());  // "/a.b" sorts before "/a/", which the walk visits first
  return out;
}

}  // namespace shardtool
