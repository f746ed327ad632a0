// Shared by the saved-tree parsers (saved_tree.cc, saved_buckets.cc, saved_tree_order.cc).
#pragma once

#include <cstdint>
#include <string>

#include "format/saved_tree.h"

namespace shardtool::saved_tree_internal {

// Findings listed per rule; counts stay exact.
constexpr int64_t kListedPerRule = 20;

// Adds a located finding to t (listed while fewer than kListedPerRule of its rule are).
void Note(SavedTree* t, const char* rule, Severity sev, int64_t offset, std::string key,
          std::string message);

// "N bytes at offset O" phrasing for a truncation: the file ends at t->size.
void Truncated(SavedTree* t, int64_t offset, uint64_t need, const std::string& what);

}  // namespace shardtool::saved_tree_internal
