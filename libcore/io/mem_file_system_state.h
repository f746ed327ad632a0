// The state of a MemFileSystem, shared by the file system and its open handles (internal to
// mem_file_system*.cc; the model is described atop mem_file_system.h).
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "io/mem_file_system.h"

namespace shardtool {

struct MemFileSystem::State {
  // A file or directory inode (see the durability model atop the header).
  struct Node {
    bool is_dir = false;
    uint64_t inode = 0;
    int64_t mtime_ns = 0;
    std::string data;  // files
    std::string durable_data;
    std::map<std::string, std::shared_ptr<Node>> entries;  // directories, sorted by name
    std::map<std::string, std::shared_ptr<Node>> durable_entries;
  };
  using NodePtr = std::shared_ptr<Node>;
  struct LockState {
    int shared = 0;
    bool exclusive = false;
  };

  mutable std::mutex mu;
  std::condition_variable cv;  // signalled when a lock is released, on Freeze and on a crash
  NodePtr root;
  uint64_t next_inode = 1;
  uint64_t epoch = 0;  // bumped by SimulateCrash; handles opened in an older epoch are dead
  bool frozen = false;
  int64_t now_micros = 1700000000000000;
  std::map<const Node*, LockState> locks;
  // Disk accounting (SetCapacity).
  bool track = false;
  uint64_t capacity = UINT64_MAX;
  uint64_t peak = 0;
  // FileStat::dev: unique per instance and per crash (a simulated crash reverts directory contents
  // without moving their mtimes, so stat-validated caches must see another file system).
  uint64_t dev = NextDev();

  static uint64_t NextDev() {
    static std::atomic<uint64_t> next{1};
    return next++;
  }

  // Not a member initializer: NewNode reads members declared after `root`.
  State() { root = NewNode(true); }

  NodePtr NewNode(bool is_dir) {
    auto n = std::make_shared<Node>();
    n->is_dir = is_dir;
    n->inode = next_inode++;
    n->mtime_ns = now_micros * 1000;
    return n;
  }

  // REQUIRES: mu held. Bytes of the files under n.
  static uint64_t Used(const Node* n) {
    if (!n->is_dir) return n->data.size();
    uint64_t sum = 0;
    for (const auto& [name, child] : n->entries) sum += Used(child.get());
    return sum;
  }
  // REQUIRES: mu held. ENOSPC when `more` bytes do not fit the capacity.
  int Reserve(uint64_t more) const {
    if (!track) return 0;
    return Used(root.get()) + more > capacity ? ENOSPC : 0;
  }
  // REQUIRES: mu held. Updates the peak after a write.
  void NotePeak() {
    if (track) peak = std::max(peak, Used(root.get()));
  }

  // REQUIRES: mu held. Fails every file system operation while frozen.
  Status CheckFrozen(std::string_view op, std::string_view path) const {
    if (!frozen) return Status::Ok();
    return IOErrorStatus(std::string(op) + " " + std::string(path) +
                         ": crashed (file system frozen at a crash point)");
  }

  // REQUIRES: mu held. Fails operations on a handle opened before a crash, or while frozen.
  Status CheckHandle(uint64_t handle_epoch, std::string_view op, std::string_view path) const {
    RETURN_IF_ERROR(CheckFrozen(op, path));
    if (handle_epoch != epoch) {
      return IOErrorStatus(std::string(op) + " " + std::string(path) +
                           ": handle invalidated by a simulated crash");
    }
    return Status::Ok();
  }

  // Path components relative to the root; ".." pops, "." and empty pieces are skipped.
  static std::vector<std::string> Split(std::string_view path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= path.size()) {
      size_t j = path.find('/', i);
      if (j == std::string_view::npos) j = path.size();
      std::string_view c = path.substr(i, j - i);
      if (c == "..") {
        if (!out.empty()) out.pop_back();
      } else if (!c.empty() && c != ".") {
        out.emplace_back(c);
      }
      i = j + 1;
    }
    return out;
  }

  // REQUIRES: mu held. Resolves a whole path; returns 0 or an errno value.
  int Resolve(std::string_view path, NodePtr* out) const {
    NodePtr cur = root;
    for (const std::string& c : Split(path)) {
      if (!cur->is_dir) return ENOTDIR;
      auto it = cur->entries.find(c);
      if (it == cur->entries.end()) return ENOENT;
      cur = it->second;
    }
    *out = cur;
    return 0;
  }

  // REQUIRES: mu held. Resolves the parent directory of a path and names its last component.
  int ResolveParent(std::string_view path, NodePtr* dir, std::string* leaf) const {
    std::vector<std::string> comps = Split(path);
    if (comps.empty()) return EINVAL;  // the root has no parent
    *leaf = comps.back();
    comps.pop_back();
    NodePtr cur = root;
    for (const std::string& c : comps) {
      auto it = cur->entries.find(c);
      if (it == cur->entries.end()) return ENOENT;
      cur = it->second;
      if (!cur->is_dir) return ENOTDIR;
    }
    *dir = cur;
    return 0;
  }

  // REQUIRES: mu held. mkdir -p; new directories are durable in their parents at once.
  int MakeDirs(std::string_view path, NodePtr* out) {
    NodePtr cur = root;
    for (const std::string& c : Split(path)) {
      auto it = cur->entries.find(c);
      if (it == cur->entries.end()) {
        NodePtr dir = NewNode(true);
        cur->entries[c] = dir;
        cur->durable_entries[c] = dir;
        cur = dir;
      } else if (it->second->is_dir) {
        cur = it->second;
      } else {
        return EEXIST;
      }
    }
    if (out != nullptr) *out = cur;
    return 0;
  }

  // REQUIRES: mu held. Reverts a subtree to its durable state (SimulateCrash).
  static void Revert(Node* n) {
    if (!n->is_dir) {
      n->data = n->durable_data;
      return;
    }
    n->entries = n->durable_entries;
    for (auto& [name, child] : n->entries) Revert(child.get());
  }

  static bool Compatible(const LockState& ls, LockMode mode) {
    if (ls.exclusive) return false;
    return mode == LockMode::kShared || ls.shared == 0;
  }
};

}  // namespace shardtool
