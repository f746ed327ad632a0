// RdbTree::fastSave's file (doc/format-notes.md "Saved trees"): a 26-byte header, then the node
// arrays in blocks of 10000 nodes, each block followed by the data of its occupied nodes.
#include <algorithm>
#include <vector>

#include "base/coding.h"
#include "format/key.h"
#include "format/saved_tree.h"
#include "format/saved_tree_internal.h"

namespace shardtool {
namespace {

using saved_tree_internal::Note;
using saved_tree_internal::Truncated;

constexpr int64_t kTreeHeaderSize = 26;
constexpr int64_t kBlockNodes = 10000;
constexpr int32_t kEmptyNode = -2;  // the parent of an unoccupied node

struct TreeNode {
  int16_t collnum = 0;
  int32_t left = -1, right = -1, parent = kEmptyNode, size = 0;
  int64_t key_offset = 0, data_offset = -1;
};

bool ReadTreeHeader(const uint8_t* p, SavedTree* t) {
  TreeHeader& h = t->tree;
  h.num_nodes = LoadLEi32(p);
  h.fixed_data_size = LoadLEi32(p + 4);
  h.num_used_nodes = LoadLEi32(p + 8);
  h.head_node = LoadLEi32(p + 12);
  h.next_node = LoadLEi32(p + 16);
  h.min_unused_node = LoadLEi32(p + 20);
  h.do_balancing = p[24];
  h.own_data = p[25];
  bool usable = true;
  auto bad = [&](int64_t off, const std::string& msg, bool fatal) {
    Note(t, "V2", Severity::kError, off, "", msg);
    if (fatal) usable = false;
  };
  if (h.fixed_data_size < -1)
    bad(4, "fixed data size " + std::to_string(h.fixed_data_size) + " is below -1", true);
  if (t->expected_fixed_data_size != kAnyFixedDataSize &&
      h.fixed_data_size != t->expected_fixed_data_size)
    bad(4,
        "fixed data size " + std::to_string(h.fixed_data_size) + ", the Rdb's is " +
            std::to_string(t->expected_fixed_data_size),
        true);
  if (h.min_unused_node < 0)
    bad(20, "node count (minUnusedNode) " + std::to_string(h.min_unused_node) + " is negative",
        true);
  if (h.num_used_nodes < 0 || (h.min_unused_node >= 0 && h.num_used_nodes > h.min_unused_node))
    bad(8,
        "used nodes " + std::to_string(h.num_used_nodes) + " outside 0.." +
            std::to_string(h.min_unused_node),
        false);
  if (h.head_node < -1 || (h.min_unused_node >= 0 && h.head_node >= h.min_unused_node))
    bad(12,
        "head node " + std::to_string(h.head_node) + " outside -1.." +
            std::to_string(int64_t{h.min_unused_node} - 1),
        false);
  if (h.do_balancing > 1) bad(24, "doBalancing byte is " + std::to_string(h.do_balancing), true);
  if (h.own_data > 1) bad(25, "ownData byte is " + std::to_string(h.own_data), false);
  return usable;
}

// Reads the node arrays and data; false when the file ends early (a V1 was noted).
bool ReadTreeNodes(const uint8_t* p, SavedTree* t, std::vector<TreeNode>* nodes) {
  const TreeHeader& h = t->tree;
  const int64_t ks = t->key_size, n_all = h.min_unused_node;
  const int64_t per_node =
      2 + ks + 12 + (h.do_balancing ? 1 : 0) + (h.fixed_data_size == -1 ? 4 : 0);
  const int64_t size = static_cast<int64_t>(t->size);
  // Hostile counts: the arrays alone must fit in the file before anything is allocated.
  if (n_all * per_node > size - kTreeHeaderSize) {
    Truncated(t, kTreeHeaderSize, static_cast<uint64_t>(n_all * per_node),
              "the arrays of " + std::to_string(n_all) + " nodes");
    return false;
  }
  nodes->resize(static_cast<size_t>(n_all));
  int64_t off = kTreeHeaderSize;
  for (int64_t start = 0; start < n_all; start += kBlockNodes) {
    const int64_t n = std::min(kBlockNodes, n_all - start);
    const int64_t block_bytes = n * per_node;
    if (off + block_bytes > size) {
      Truncated(t, off, static_cast<uint64_t>(block_bytes),
                "the node block from node " + std::to_string(start));
      return false;
    }
    int64_t a = off;
    for (int64_t i = 0; i < n; i++) (*nodes)[start + i].collnum = LoadLEi16(p + a + 2 * i);
    a += 2 * n;
    for (int64_t i = 0; i < n; i++) (*nodes)[start + i].key_offset = a + ks * i;
    a += ks * n;
    for (int64_t i = 0; i < n; i++) (*nodes)[start + i].left = LoadLEi32(p + a + 4 * i);
    a += 4 * n;
    for (int64_t i = 0; i < n; i++) (*nodes)[start + i].right = LoadLEi32(p + a + 4 * i);
    a += 4 * n;
    for (int64_t i = 0; i < n; i++) (*nodes)[start + i].parent = LoadLEi32(p + a + 4 * i);
    a += 4 * n;
    if (h.do_balancing) a += n;  // depths: derived, not checked
    if (h.fixed_data_size == -1) {
      for (int64_t i = 0; i < n; i++) (*nodes)[start + i].size = LoadLEi32(p + a + 4 * i);
      a += 4 * n;
    }
    off = a;
    if (h.fixed_data_size == 0) continue;
    for (int64_t i = start; i < start + n; i++) {
      TreeNode& nd = (*nodes)[i];
      if (nd.parent == kEmptyNode) continue;
      int64_t len = h.fixed_data_size;
      if (h.fixed_data_size == -1) {
        if (nd.size < 0) {
          Note(t, "V4", Severity::kError, nd.key_offset, KeyHex(p + nd.key_offset, ks),
               "node " + std::to_string(i) + " has data size " + std::to_string(nd.size));
        }
        len = std::max<int32_t>(nd.size, 0);
      }
      if (off + len > size) {
        Truncated(t, off, static_cast<uint64_t>(len), "the data of node " + std::to_string(i));
        return false;
      }
      nd.size = static_cast<int32_t>(len);
      nd.data_offset = off;
      off += len;
    }
  }
  t->consumed = static_cast<uint64_t>(off);
  return true;
}

// In-order walk from the head node; false when the links do not form one tree over exactly the
// occupied nodes.
bool WalkTree(const std::vector<TreeNode>& nodes, int32_t head, int64_t occupied,
              std::vector<int32_t>* order) {
  const int64_t n = static_cast<int64_t>(nodes.size());
  auto valid = [&](int32_t i) { return i >= 0 && i < n && nodes[i].parent != kEmptyNode; };
  std::vector<uint8_t> seen(nodes.size(), 0);
  std::vector<int32_t> stack;
  int32_t cur = head;
  if (head == -1) return occupied == 0;
  while (cur != -1 || !stack.empty()) {
    while (cur != -1) {
      if (!valid(cur) || seen[cur] || static_cast<int64_t>(stack.size()) > occupied) return false;
      seen[cur] = 1;
      stack.push_back(cur);
      cur = nodes[cur].left;
    }
    const int32_t top = stack.back();
    stack.pop_back();
    order->push_back(top);
    cur = nodes[top].right;
  }
  return static_cast<int64_t>(order->size()) == occupied;
}

}  // namespace

void ParseRdbTree(std::string_view bytes, SavedTree* t) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const int ks = t->key_size;
  if (bytes.empty()) t->empty_file = true;
  if (static_cast<int64_t>(bytes.size()) < int64_t{kTreeHeaderSize}) {
    Truncated(t, 0, kTreeHeaderSize, "the RdbTree header");
    return;
  }
  if (!ReadTreeHeader(p, t)) return;
  t->header_ok = true;
  std::vector<TreeNode> nodes;
  if (!ReadTreeNodes(p, t, &nodes)) return;
  t->decoded_completely = true;

  int64_t occupied = 0;
  for (size_t i = 0; i < nodes.size(); i++) {
    const TreeNode& nd = nodes[i];
    if (nd.parent == kEmptyNode) continue;
    occupied++;
    const int32_t lim = t->tree.min_unused_node;
    auto in = [&](int32_t v) { return v >= -1 && v < lim; };
    if (!in(nd.left) || !in(nd.right) || !in(nd.parent)) {
      Note(t, "V4", Severity::kError, nd.key_offset, KeyHex(p + nd.key_offset, ks),
           "node " + std::to_string(i) + " links outside -1.." + std::to_string(lim - 1) +
               " (left " + std::to_string(nd.left) + ", right " + std::to_string(nd.right) +
               ", parent " + std::to_string(nd.parent) + ")");
    }
  }
  if (occupied != t->tree.num_used_nodes) {
    Note(t, "V4", Severity::kError, 8, "",
         "header says " + std::to_string(t->tree.num_used_nodes) + " used nodes, " +
             std::to_string(occupied) + " are occupied");
  }
  std::vector<int32_t> order;
  if (!WalkTree(nodes, t->tree.head_node, occupied, &order)) {
    Note(t, "V4", Severity::kError, 12, "",
         "the links from head node " + std::to_string(t->tree.head_node) +
             " do not form one tree over the " + std::to_string(occupied) +
             " occupied nodes: records listed in node order, their order not checked");
    t->in_tree_order = false;
    order.clear();
    for (size_t i = 0; i < nodes.size(); i++)
      if (nodes[i].parent != kEmptyNode) order.push_back(static_cast<int32_t>(i));
  }
  t->records.reserve(order.size());
  t->keys.reserve(order.size() * static_cast<size_t>(ks));
  for (int32_t i : order) {
    const TreeNode& nd = nodes[i];
    SavedTreeRecord r;
    r.collnum = nd.collnum;
    r.offset = nd.key_offset;
    r.node = i;
    r.negative = KeyIsNegative(p + nd.key_offset);
    r.data_size = t->tree.fixed_data_size == 0 ? 0 : nd.size;
    r.data_offset = nd.data_offset;
    t->records.push_back(r);
    t->keys.insert(t->keys.end(), p + nd.key_offset, p + nd.key_offset + ks);
  }
}

}  // namespace shardtool
