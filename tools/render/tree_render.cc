#include "render/tree_render.h"

#include "format/key.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

Json HeaderJson(const SavedTree& t) {
  if (t.kind == SavedTreeKind::kTree) {
    const TreeHeader& h = t.tree;
    return {{"num_nodes", h.num_nodes},           {"fixed_data_size", h.fixed_data_size},
            {"num_used_nodes", h.num_used_nodes}, {"head_node", h.head_node},
            {"next_node", h.next_node},           {"min_unused_node", h.min_unused_node},
            {"do_balancing", h.do_balancing},     {"own_data", h.own_data}};
  }
  const BucketsHeader& h = t.buckets;
  return {{"version", h.version},
          {"num_buckets", h.num_buckets},
          {"max_buckets", h.max_buckets},
          {"key_size", h.key_size},
          {"fixed_data_size", h.fixed_data_size},
          {"rec_size", h.rec_size},
          {"num_keys", h.num_keys},
          {"num_neg_keys", h.num_neg_keys},
          {"data_mem_occupied", h.data_mem},
          {"bucket_size", h.bucket_size}};
}

std::string HeaderText(const SavedTree& t) {
  if (t.kind == SavedTreeKind::kTree) {
    const TreeHeader& h = t.tree;
    return "nodes " + std::to_string(h.num_nodes) + ", fixed data size " +
           std::to_string(h.fixed_data_size) + ", used " + std::to_string(h.num_used_nodes) +
           ", head " + std::to_string(h.head_node) + ", next " + std::to_string(h.next_node) +
           ", min unused " + std::to_string(h.min_unused_node) + ", balanced " +
           std::to_string(h.do_balancing) + ", own data " + std::to_string(h.own_data);
  }
  const BucketsHeader& h = t.buckets;
  return "version " + std::to_string(h.version) + ", buckets " + std::to_string(h.num_buckets) +
         " (table " + std::to_string(h.max_buckets) + "), key size " + std::to_string(h.key_size) +
         ", fixed data size " + std::to_string(h.fixed_data_size) + ", record size " +
         std::to_string(h.rec_size) + ", keys " + std::to_string(h.num_keys) + ", negative keys " +
         std::to_string(h.num_neg_keys) + ", data memory " + std::to_string(h.data_mem) +
         ", bucket size " + std::to_string(h.bucket_size);
}

}  // namespace

Json MisplacedJson(const std::vector<MisplacedRecord>& v) {
  Json a = Json::array();
  for (const MisplacedRecord& m : v)
    a.push_back({{"key", m.key}, {"offset", m.offset}, {"slot", m.slot}, {"owner", m.owner}});
  return a;
}

Json ShownFindings(const std::vector<Finding>& findings, const PathShown& shown) {
  Json a = FindingsJson(findings);
  for (auto& f : a) f["file"] = shown(f["file"].get<std::string>());
  return a;
}

Json TreeInspectJson(const TreeInspectReport& r, const PathShown& shown, uint64_t limit) {
  const SavedTree& t = r.tree;
  Json j;
  j["schema_version"] = 1;
  j["command"] = "inspect tree";
  j["file"] = shown(r.path);
  j["form"] = SavedTreeKindName(t.kind);
  j["rdb"] = r.rdb ? Json(std::string(r.rdb->name)) : Json(nullptr);
  j["skipped"] = r.rdb == nullptr;
  j["key_size"] = r.rdb ? r.rdb->key_size : 0;
  j["bytes"] = t.size;
  j["header"] = t.header_ok || t.consumed > 0 ? HeaderJson(t) : Json(nullptr);
  Json buckets = Json::array();
  for (const SavedBucket& b : t.bucket_list) {
    buckets.push_back({{"offset", b.offset},
                       {"collnum", b.collnum},
                       {"num_keys", b.num_keys},
                       {"sorted", b.sorted},
                       {"end_key_offset", b.end_key_offset}});
  }
  if (t.kind == SavedTreeKind::kBuckets) j["buckets"] = buckets;
  j["record_count"] = {{"positive", t.positive}, {"negative", t.negative}};
  j["decoded_bytes"] = t.consumed;
  j["decoded_completely"] = t.decoded_completely;
  j["in_tree_order"] = t.in_tree_order;
  Json recs = Json::array();
  for (size_t i = 0; i < t.records.size() && (limit == 0 || i < limit); i++) {
    const SavedTreeRecord& rec = t.records[i];
    Json e = {{"collnum", rec.collnum},
              {"offset", rec.offset},
              {t.kind == SavedTreeKind::kTree ? "node" : "index", rec.node},
              {"key", KeyHex(t.key(i), t.key_size)},
              {"negative", rec.negative},
              {"data_size", rec.data_size}};
    if (t.kind == SavedTreeKind::kBuckets) e["bucket"] = rec.bucket;
    recs.push_back(e);
  }
  j["records"] = recs;
  j["findings"] = ShownFindings(t.findings, shown);
  return j;
}

void PrintTreeInspect(std::ostream& out, const TreeInspectReport& r, const PathShown& shown,
                      uint64_t limit) {
  const SavedTree& t = r.tree;
  out << "file       " << shown(r.path) << " (" << t.size << " bytes)\n";
  out << "form       " << SavedTreeKindName(t.kind) << "\n";
  if (r.rdb == nullptr) {
    out << "rdb        none (" << r.name.db << "): not decoded\n";
  } else {
    out << "rdb        " << r.rdb->name << " (key " << r.rdb->key_size << " bytes)\n";
    if (t.empty_file && t.kind == SavedTreeKind::kBuckets) {
      out << "header     none: an empty file is an empty RdbBuckets\n";
    } else if (t.header_ok || t.consumed > 0) {
      out << "header     " << HeaderText(t) << "\n";
    }
    for (const SavedBucket& b : t.bucket_list) {
      out << "  bucket at " << b.offset << ": collnum " << b.collnum << ", " << b.num_keys
          << " keys, " << b.sorted << " sorted, end key offset " << b.end_key_offset << "\n";
    }
    out << "records    " << t.positive << " positive, " << t.negative << " negative (" << t.consumed
        << " of " << t.size << " bytes decoded" << (t.decoded_completely ? "" : ", incompletely")
        << ")\n";
    if (!t.records.empty()) {
      TextTable table({"collnum", "offset", t.kind == SavedTreeKind::kTree ? "node" : "bucket",
                       "key", "neg", "size"});
      for (size_t i = 0; i < t.records.size() && (limit == 0 || i < limit); i++) {
        const SavedTreeRecord& rec = t.records[i];
        table.AddRow({std::to_string(rec.collnum), std::to_string(rec.offset),
                      t.kind == SavedTreeKind::kTree
                          ? std::to_string(rec.node)
                          : std::to_string(rec.bucket) + "." + std::to_string(rec.node),
                      KeyHex(t.key(i), t.key_size), rec.negative ? "-" : "+",
                      std::to_string(rec.data_size)});
      }
      table.Print(out);
    }
  }
  for (const Finding& f : t.findings) {
    Finding s = f;
    s.file = shown(f.file);
    out << SeverityName(f.severity) << ": " << s.ToString() << "\n";
  }
}

Json TreeVerifyJson(const TreeVerifyReport& t, const PathShown& shown) {
  Json j;
  j["file"] = shown(t.file);
  j["rdb"] = t.rdb;
  j["form"] = t.kind;
  j["skipped"] = t.skipped;
  j["collnum"] = t.collnum;
  j["bytes"] = t.bytes;
  j["records"] = {{"positive", t.positive}, {"negative", t.negative}};
  j["this_collnum"] = t.this_collnum;
  j["other_collnums"] = t.other_collnums;
  j["ownership_checked"] = t.ownership_checked == "records";
  AddOwnershipAndFindingsJson(j, t, shown);
  return j;
}

void PrintTreeVerify(std::ostream& out, const std::vector<TreeVerifyReport>& trees,
                     const PathShown& shown, int32_t shard, bool table, bool notices) {
  if (trees.empty()) return;
  if (table) {
    TextTable t({"tree", "records", "negative", "not owned", "errors", "notices", "size"});
    for (const TreeVerifyReport& r : trees) {
      std::string owned = r.ownership_checked == "records"
                              ? std::to_string(r.not_owned)
                              : (r.ownership_checked == "not_shardable" ? "n/a" : "unchecked");
      if (r.skipped) owned = "skipped";
      t.AddRow({shown(r.file), std::to_string(r.positive + r.negative), std::to_string(r.negative),
                owned, std::to_string(r.errors), std::to_string(r.notices), HumanBytes(r.bytes)});
    }
    t.Print(out);
  }
  for (const TreeVerifyReport& r : trees) {
    if (r.not_owned > 0) {
      std::string by;
      for (const auto& [s, n] : r.not_owned_by_shard)
        by += " shard " + std::to_string(s) + ": " + std::to_string(n) + ";";
      out << shown(r.file) << ": " << r.not_owned << " of " << r.this_collnum
          << " tree records of collnum " << r.collnum << " do not belong to shard " << shard
          << " (O1):" << by << "\n";
      for (const MisplacedRecord& m : r.misplaced_sample) {
        out << "  offset " << m.offset << " key " << m.key << " slot " << m.slot << " owner shard "
            << m.owner << "\n";
      }
    }
    for (const Finding& f : r.findings) {
      if (f.severity == Severity::kNotice && !notices) continue;
      Finding s = f;
      s.file = shown(f.file);
      out << SeverityName(f.severity) << ": " << s.ToString() << "\n";
    }
  }
}

}  // namespace shardtool
