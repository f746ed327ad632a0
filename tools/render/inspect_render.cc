#include "render/inspect_render.h"

#include <map>

#include "catalog/ownership_filter.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

Json SlotsJson(const std::vector<SlotRange>& slots) {
  Json a = Json::array();
  for (const SlotRange& s : slots) a.push_back({s.min, s.max});
  return a;
}

std::string Age(int64_t now, int64_t t) {
  if (t <= 0) return "-";
  const int64_t d = now - t;
  if (d < 0) return "in " + HumanDuration(static_cast<double>(-d));
  return HumanDuration(static_cast<double>(d)) + " ago";
}

Json FileJson(const DbFileInfo& f, const std::string& dir) {
  Json parts = Json::array();
  for (const DataFilePart& p : f.parts) parts.push_back({{"name", p.name}, {"size", p.size}});
  Json j = {{"file", dir + "/" + f.name},
            {"id", f.id},
            {"merge", f.merge},
            {"merge_files", f.merge ? Json(f.merge_files) : Json(nullptr)},
            {"retired", f.retired},
            {"parts", parts},
            {"size", f.size},
            {"disk_bytes", f.disk_bytes},
            {"headless", f.headless},
            {"first_part", f.first_part},
            {"page_size", f.page_size},
            {"map_ok", f.map_ok},
            {"map_error", f.map_ok ? Json(nullptr) : Json(f.map_error)},
            {"records", {{"positive", f.positive}, {"negative", f.negative}}}};
  j["key_range"] =
      f.first_key.empty() ? Json(nullptr) : Json({{"first", f.first_key}, {"last", f.last_key}});
  j["sidecar"] = f.sidecar;
  if (!f.sidecar_detail.empty()) j["sidecar_detail"] = f.sidecar_detail;
  return j;
}

Json RangeDeletionJson(const RangeDeletion& rd) {
  return {{"ns", rd.ns},
          {"uuid", rd.uuid},
          {"slots", SlotsJson(rd.slots)},
          {"orphaned_at",
           {{"version", rd.orphaned_at.version},
            {"catalog_version", rd.orphaned_at.catalog_version},
            {"time", rd.orphaned_at.time}}},
          {"ready_after", rd.ready_after}};
}

std::string FileState(const DbFileInfo& f) {
  std::string s;
  auto add = [&s](const std::string& w) { s += (s.empty() ? "" : ",") + w; };
  if (f.retired) add("retired");
  if (f.merge) add("merge target");
  if (f.headless) add("headless from part " + std::to_string(f.first_part));
  if (!f.map_ok) add("no usable map");
  return s.empty() ? "ok" : s;
}

}  // namespace

Json DbReportJson(const DbReport& r) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "inspect db";
  j["database"] = r.database;
  j["uuid"] = r.uuid;
  j["dir"] = r.dir;
  j["dir_present"] = r.dir_present;
  j["collnum"] = r.collnum;
  j["db_version"] = r.db_version.empty() ? Json(nullptr) : Json(r.db_version);
  j["host_id"] = r.host_id;
  j["shard"] = r.shard;
  j["catalog"] = {{"epoch", r.catalog_epoch}, {"version", r.catalog_version}};
  Json colls = Json::array();
  for (const DbCollectionInfo& c : r.collections) {
    Json cj;
    cj["ns"] = c.ns;
    cj["uuid"] = c.uuid;
    cj["rdb"] = c.rdb;
    cj["sharded"] = c.sharded;
    cj["shard_version"] = c.shard_version;
    cj["part_size"] = c.part_size;
    Json files = Json::array();
    for (const DbFileInfo& f : c.files) files.push_back(FileJson(f, r.dir));
    cj["files"] = files;
    if (c.merge) {
      const DbMergeInfo& m = *c.merge;
      if (m.readable) {
        cj["merge"] = {{"state", m.state},
                       {"phase", m.phase},
                       {"inputs", m.inputs},
                       {"target", m.target},
                       {"final", m.final_name},
                       {"started", m.started},
                       {"updated", m.updated},
                       {"target_size", m.target_size},
                       {"records_in", m.records_in},
                       {"records_out", m.records_out},
                       {"last_key", m.last_key.empty() ? Json(nullptr) : Json(m.last_key)}};
      } else {
        cj["merge"] = {{"error", m.error}};
      }
    } else {
      cj["merge"] = nullptr;
    }
    Json retired = Json::array();
    for (const RetiredFile& f : c.retired) {
      retired.push_back({{"name", f.name},
                         {"size", f.size},
                         {"retired_at", f.retired_at},
                         {"retired_by", f.retired_by},
                         {"parts", f.parts}});
    }
    cj["retired"] = retired;
    if (!c.retired_error.empty()) cj["retired_error"] = c.retired_error;
    Json leases = Json::array();
    for (const DbLeaseInfo& l : c.leases) {
      Json lj = {{"name", l.name}, {"live", !l.stale}, {"readable", l.readable}};
      if (l.readable) {
        lj["pid"] = l.pid;
        lj["host"] = l.host;
        lj["job"] = l.job;
        lj["catalog_version"] = l.catalog_version;
        lj["version"] = l.version.empty() ? Json(nullptr) : Json(l.version);
        lj["created_at"] = l.created_at;
        lj["expires_at"] = l.expires_at;
        lj["stashed"] = l.stashed.empty() ? Json(nullptr) : Json(l.stashed);
        lj["files"] = l.files;
      } else {
        lj["error"] = l.error;
      }
      leases.push_back(lj);
    }
    cj["leases"] = leases;
    Json rds = Json::array();
    for (const RangeDeletion& rd : c.range_deletions) rds.push_back(RangeDeletionJson(rd));
    cj["range_deletions"] = rds;
    cj["totals"] = {{"files", c.files_committed},
                    {"records", c.positive + c.negative},
                    {"positive", c.positive},
                    {"negative", c.negative},
                    {"bytes", c.bytes}};
    colls.push_back(cj);
  }
  j["collections"] = colls;
  j["views"] = r.views;
  j["uncatalogued_rdbs"] = r.uncatalogued_rdbs;
  auto state = [](const std::vector<DbStateFile>& v) {
    Json a = Json::array();
    for (const DbStateFile& f : v)
      a.push_back({{"path", f.path}, {"size", f.size}, {"what", f.detail}});
    return a;
  };
  j["journals"] = state(r.journals);
  j["bookmarks"] = state(r.bookmarks);
  j["spill_runs"] = state(r.spill_runs);
  Json q = Json::array();
  for (const DbQuarantineInfo& e : r.quarantine) {
    Json qj = {{"entry", "shardtool/quarantine/" + e.entry}, {"readable", e.readable}};
    if (e.readable) {
      qj["kind"] = e.kind;
      qj["rdb"] = e.rdb;
      qj["created"] = e.created;
      qj["target_shard"] = e.target_shard;
      qj["records"] = {{"positive", e.positive}, {"negative", e.negative}};
      qj["reasons"] = e.reasons;
      qj["sources"] = e.sources;
    } else {
      qj["error"] = e.error;
    }
    q.push_back(qj);
  }
  j["quarantine"] = q;
  j["totals"] = {{"files", r.files},
                 {"records", r.positive + r.negative},
                 {"positive", r.positive},
                 {"negative", r.negative},
                 {"bytes", r.bytes},
                 {"live_leases", r.live_leases},
                 {"merges", r.merges},
                 {"retired_files", r.retired_files},
                 {"quarantine_entries", r.quarantine.size()}};
  return j;
}

void PrintDbReport(std::ostream& out, const DbReport& r, int64_t now, bool verbose) {
  out << "database   " << r.database << " (" << r.dir << (r.dir_present ? "" : ", MISSING")
      << ", uuid " << r.uuid << ", dbVersion "
      << (r.db_version.empty() ? "null (unknown)" : r.db_version) << ")\n";
  out << "host       " << r.host_id << " (shard " << r.shard << "), catalog version "
      << r.catalog_version << " (epoch " << r.catalog_epoch << ")\n";
  for (const DbCollectionInfo& c : r.collections) {
    out << "\n"
        << c.ns << "  " << (c.sharded ? "sharded" : "not sharded") << ", shard version "
        << c.shard_version << ": " << c.files_committed << " files, " << (c.positive + c.negative)
        << " records (" << c.positive << " +, " << c.negative << " -), " << HumanBytes(c.bytes)
        << "\n";
    if (!c.files.empty()) {
      TextTable t({"file", "parts", "size", "records", "neg", "first key", "last key", "page",
                   "sidecar", "state"});
      for (const DbFileInfo& f : c.files) {
        t.AddRow({f.name, std::to_string(f.parts.size()), HumanBytes(f.size),
                  f.map_ok ? std::to_string(f.positive + f.negative) : "?",
                  f.map_ok ? std::to_string(f.negative) : "?",
                  f.first_key.empty() ? "-" : f.first_key, f.last_key.empty() ? "-" : f.last_key,
                  HumanBytes(f.page_size), f.sidecar, FileState(f)});
      }
      t.Print(out);
      for (const DbFileInfo& f : c.files) {
        if (!f.map_ok) out << "  " << f.name << ": map: " << f.map_error << "\n";
        if (!f.sidecar_detail.empty())
          out << "  " << f.name << ": sidecar " << f.sidecar << ": " << f.sidecar_detail << "\n";
        if (verbose && f.parts.size() > 1) {
          for (const DataFilePart& p : f.parts) out << "    " << p.name << "  " << p.size << "\n";
        }
      }
    }
    if (c.merge) {
      const DbMergeInfo& m = *c.merge;
      if (!m.readable) {
        out << "  merge journal unreadable: " << m.error << "\n";
      } else {
        std::string inputs;
        for (const std::string& n : m.inputs) inputs += (inputs.empty() ? "" : " + ") + n;
        out << "  merge " << m.state << (m.phase.empty() ? "" : " (" + m.phase + ")") << ": "
            << inputs << " -> " << m.target << " (then " << m.final_name << "), " << m.records_in
            << " records in, " << m.records_out << " out, " << HumanBytes(m.target_size)
            << " written, started " << Age(now, m.started) << ", last checkpoint "
            << Age(now, m.updated) << "\n";
      }
    }
    for (const RetiredFile& f : c.retired) {
      out << "  retired " << f.name << " (" << HumanBytes(f.size) << ", by " << f.retired_by << " "
          << Age(now, f.retired_at) << "): deleted once no live lease lists it\n";
    }
    if (!c.retired_error.empty()) out << "  retired list unreadable: " << c.retired_error << "\n";
    for (const DbLeaseInfo& l : c.leases) {
      out << "  lease " << l.name << ": " << (l.stale ? "stale" : "live");
      if (l.readable) {
        out << ", " << l.job << " pid " << l.pid << " on " << l.host << ", catalog version "
            << l.catalog_version << ", " << l.files << " files, expires " << Age(now, l.expires_at)
            << (l.stashed.empty() ? "" : ", stashed in " + l.stashed);
      } else {
        out << ", " << l.error;
      }
      out << "\n";
    }
    for (const RangeDeletion& rd : c.range_deletions) {
      out << "  range deletion: slots " << SlotRangesText(rd.slots, 6) << " orphaned at "
          << rd.orphaned_at.version << " (catalog version " << rd.orphaned_at.catalog_version
          << "), ready " << (rd.ready_after <= now ? "now" : Age(now, rd.ready_after)) << "\n";
    }
  }
  if (!r.views.empty()) {
    out << "\nviews\n";
    for (const std::string& v : r.views) out << "  " << v << "\n";
  }
  for (const std::string& rdb : r.uncatalogued_rdbs) {
    out << "\n"
        << rdb << ": data files on disk but no collection " << r.database << "." << rdb
        << " in the catalog (run shardtool init)\n";
  }
  if (!r.journals.empty() || !r.bookmarks.empty() || !r.spill_runs.empty()) {
    out << "\nstate files\n";
    TextTable t({"path", "size", "what"});
    for (const auto* v : {&r.journals, &r.bookmarks, &r.spill_runs}) {
      for (const DbStateFile& f : *v) t.AddRow({f.path, std::to_string(f.size), f.detail});
    }
    t.Print(out);
  }
  if (!r.quarantine.empty()) {
    out << "\nquarantine\n";
    TextTable t({"entry", "kind", "rdb", "records", "neg", "reasons", "sources"});
    for (const DbQuarantineInfo& e : r.quarantine) {
      if (!e.readable) {
        t.AddRow({e.entry, "?", "?", "?", "?", e.error, ""});
        continue;
      }
      std::string reasons, sources;
      for (const auto& s : e.reasons) reasons += (reasons.empty() ? "" : ",") + s;
      for (const auto& s : e.sources) sources += (sources.empty() ? "" : ",") + s;
      t.AddRow({e.entry, e.kind, e.rdb, std::to_string(e.positive + e.negative),
                std::to_string(e.negative), reasons, sources});
    }
    t.Print(out);
  }
  out << "\ntotal      " << r.files << " files, " << (r.positive + r.negative) << " records ("
      << r.positive << " +, " << r.negative << " -), " << HumanBytes(r.bytes) << "; " << r.merges
      << " merges, " << r.retired_files << " retired files, " << r.live_leases << " live leases, "
      << r.quarantine.size() << " quarantine entries\n";
}

Json CatalogInspectJson(const std::string& path, const Catalog& c) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "inspect catalog";
  j["path"] = path;
  j["epoch"] = c.epoch;
  j["version"] = c.version;
  Json hosts = Json::array();
  for (const CatalogHost& h : c.cluster.hosts) {
    hosts.push_back({{"id", h.id},
                     {"shard", h.shard},
                     {"ip", h.ip},
                     {"workdir", h.workdir},
                     {"this", h.id == c.this_host}});
  }
  j["cluster"] = {{"num_shards", c.cluster.num_shards},
                  {"num_mirrors", c.cluster.num_mirrors},
                  {"hosts", hosts}};
  j["this_host"] = c.this_host;
  j["shard"] = c.this_shard();
  Json dbs = Json::array();
  for (const DatabaseEntry& d : c.databases) {
    dbs.push_back({{"name", d.name},
                   {"collnum", d.collnum},
                   {"dir", d.DirName()},
                   {"uuid", d.uuid},
                   {"db_version", d.db_version ? Json(d.db_version->ToString()) : Json(nullptr)}});
  }
  j["databases"] = dbs;
  Json colls = Json::array();
  for (const CollectionEntry& x : c.collections) {
    Json cj;
    cj["ns"] = x.ns;
    cj["uuid"] = x.uuid;
    cj["rdb"] = x.rdb;
    cj["sharded"] = x.sharded;
    cj["generation"] =
        x.generation
            ? Json({{"epoch", x.generation->epoch}, {"timestamp", x.generation->timestamp}})
            : Json(nullptr);
    cj["part_size"] = x.part_size;
    auto cv = CollectionVersion(x);
    cj["version"] = cv ? Json(cv->ToString()) : Json(nullptr);
    Json chunks = Json::array();
    for (const Chunk& ch : x.chunks) {
      chunks.push_back({{"min", ch.min},
                        {"max", ch.max},
                        {"shard", ch.shard},
                        {"version", ch.version.ToString()}});
    }
    cj["chunks"] = chunks;
    Json sv = Json::object(), slots = Json::object();
    for (int32_t s = 0; s < c.cluster.num_shards; s++) {
      sv[std::to_string(s)] = ShardVersionOf(x, s).ToString();
      int64_t n = 0;
      for (const Chunk& ch : x.chunks) n += ch.shard == s ? ch.max - ch.min : 0;
      slots[std::to_string(s)] = n;
    }
    cj["shard_versions"] = sv;
    cj["slots_by_shard"] = slots;
    colls.push_back(cj);
  }
  j["collections"] = colls;
  Json views = Json::array();
  for (const ViewEntry& v : c.views) {
    views.push_back(
        {{"ns", v.ns}, {"view_on", v.view_on}, {"key_min", v.key_min}, {"key_max", v.key_max}});
  }
  j["views"] = views;
  Json rds = Json::array();
  for (const RangeDeletion& rd : c.range_deletions) rds.push_back(RangeDeletionJson(rd));
  j["range_deletions"] = rds;
  return j;
}

void PrintCatalogInspect(std::ostream& out, const std::string& path, const Catalog& c,
                         bool verbose) {
  out << "catalog    " << path << "\n";
  out << "epoch      " << c.epoch << ", version " << c.version << "\n";
  out << "cluster    " << c.cluster.num_shards << " shards x " << (c.cluster.num_mirrors + 1)
      << " copies = " << c.cluster.hosts.size() << " hosts; this host " << c.this_host << " (shard "
      << c.this_shard() << ")\n\nhosts\n";
  TextTable hosts({"id", "shard", "ip", "workdir", ""});
  for (const CatalogHost& h : c.cluster.hosts) {
    hosts.AddRow({std::to_string(h.id), std::to_string(h.shard), h.ip, h.workdir,
                  h.id == c.this_host ? "<- this host" : ""});
  }
  hosts.Print(out);
  out << "\ndatabases\n";
  TextTable dbs({"name", "dir", "uuid", "dbVersion"});
  for (const DatabaseEntry& d : c.databases) {
    dbs.AddRow(
        {d.name, d.DirName(), d.uuid, d.db_version ? d.db_version->ToString() : "null (unknown)"});
  }
  dbs.Print(out);
  for (const CollectionEntry& x : c.collections) {
    out << "\n" << x.ns << "  uuid " << x.uuid << ", rdb " << x.rdb;
    if (!x.sharded) {
      out << ", not sharded (every host keeps all of it)\n";
      continue;
    }
    if (!x.generation) {
      out << ", placement unknown (generation null: run shardtool catalog reshard)\n";
      continue;
    }
    auto cv = CollectionVersion(x);
    out << ", generation " << x.generation->epoch << "/" << x.generation->timestamp << ", version "
        << (cv ? cv->ToString() : "-") << ", " << x.chunks.size() << " chunks\n";
    TextTable t({"shard", "slots", "chunks", "shard version", "slot ranges"});
    for (int32_t s = 0; s < c.cluster.num_shards; s++) {
      int64_t n = 0, k = 0;
      for (const Chunk& ch : x.chunks) {
        if (ch.shard == s) {
          n += ch.max - ch.min;
          k++;
        }
      }
      t.AddRow({std::to_string(s), std::to_string(n), std::to_string(k),
                ShardVersionOf(x, s).ToString(), SlotRangesText(OwnedRanges(x, s), 4)});
    }
    t.Print(out);
    if (verbose) {
      TextTable ch({"min", "max", "shard", "version"});
      for (const Chunk& k : x.chunks) {
        ch.AddRow({std::to_string(k.min), std::to_string(k.max), std::to_string(k.shard),
                   k.version.ToString()});
      }
      ch.Print(out);
    }
  }
  if (!c.views.empty()) {
    out << "\nviews\n";
    TextTable views({"ns", "viewOn", "min", "max"});
    for (const ViewEntry& v : c.views) views.AddRow({v.ns, v.view_on, v.key_min, v.key_max});
    views.Print(out);
  }
  if (!c.range_deletions.empty()) {
    out << "\nrange deletions (this host)\n";
    TextTable rds({"ns", "slots", "orphanedAt", "catalogVersion", "readyAfter"});
    for (const RangeDeletion& r : c.range_deletions) {
      rds.AddRow({r.ns, SlotRangesText(r.slots, 4), r.orphaned_at.version,
                  std::to_string(r.orphaned_at.catalog_version), std::to_string(r.ready_after)});
    }
    rds.Print(out);
  }
}

Json KeyReportJson(const KeyReport& r) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "inspect key";
  j["database"] = r.database;
  j["ns"] = r.ns;
  j["rdb"] = r.rdb;
  j["query"] = r.query;
  j["range"] = {{"first", r.range_first}, {"last", r.range_last}};
  j["scanned"] = r.scanned;
  j["host_id"] = r.host_id;
  j["shard"] = r.shard;
  j["sharded"] = r.sharded;
  j["shard_version"] = r.shard_version;
  j["slot"] = r.slot >= 0 ? Json(r.slot) : Json(nullptr);
  j["owner"] = r.owner >= 0 ? Json(r.owner) : Json(nullptr);
  Json hosts = Json::array();
  for (const KeyHost& h : r.owner_hosts)
    hosts.push_back({{"id", h.id}, {"ip", h.ip}, {"workdir", h.workdir}});
  j["owner_hosts"] = hosts;
  j["files"] = r.files;
  Json keys = Json::array();
  for (const KeyEntry& k : r.keys) {
    Json kj;
    kj["key"] = k.key;
    kj["slot"] = k.slot >= 0 ? Json(k.slot) : Json(nullptr);
    kj["owner"] = k.owner >= 0 ? Json(k.owner) : Json(nullptr);
    kj["owned"] = k.owned;
    kj["visible"] = k.visible;
    Json fields = Json::object();
    for (const auto& [name, value] : k.fields) fields[name] = value;
    kj["fields"] = fields;
    Json versions = Json::array();
    for (const KeyVersionInfo& v : k.versions) {
      Json vj = {{"file", v.file},         {"offset", v.offset},       {"key", v.key},
                 {"negative", v.negative}, {"data_size", v.data_size}, {"seen", v.seen}};
      if (v.has_payload) {
        vj["payload_size"] = v.payload_size;
        vj["payload"] = v.payload;
      } else if (!v.payload_error.empty()) {
        vj["payload_error"] = v.payload_error;
      }
      versions.push_back(vj);
    }
    kj["versions"] = versions;
    keys.push_back(kj);
  }
  j["keys"] = keys;
  j["truncated"] = r.truncated;
  return j;
}

void PrintKeyReport(std::ostream& out, const KeyReport& r) {
  out << r.ns << ": " << r.query << " (keys " << r.range_first << " .. " << r.range_last
      << (r.scanned ? ", whole files scanned" : "") << ")\n";
  if (!r.sharded) {
    out << "placement  not sharded or unknown: every host may hold it\n";
  } else if (r.slot >= 0) {
    out << "slot       " << r.slot << ", owned by shard " << r.owner << " (hosts";
    for (const KeyHost& h : r.owner_hosts) out << " " << h.id << " " << h.ip << ":" << h.workdir;
    out << ")"
        << (r.owner == r.shard ? ", this host's shard"
                               : ", NOT this host's shard " + std::to_string(r.shard))
        << "\n";
  } else {
    out << "slot       per key (below)\n";
  }
  out << "host       " << r.host_id << " (shard " << r.shard << "), " << r.files.size()
      << " committed files read, newest first\n";
  if (r.keys.empty()) out << "not found in any file of this host\n";
  for (const KeyEntry& k : r.keys) {
    out << "\nkey " << k.key;
    if (k.slot >= 0) out << "  slot " << k.slot;
    if (k.owner >= 0) out << "  owner shard " << k.owner << (k.owned ? "" : " (misplaced here)");
    out << "\n  ";
    for (const auto& [name, value] : k.fields) out << name << "=" << value << " ";
    out << "\n";
    TextTable t({"file", "offset", "version", "size", "reader"});
    for (const KeyVersionInfo& v : k.versions) {
      t.AddRow({v.file, std::to_string(v.offset), v.negative ? "negative" : "positive",
                std::to_string(v.data_size),
                v.seen ? (v.negative ? "sees it deleted" : "sees this") : "shadowed"});
    }
    t.Print(out);
    for (const KeyVersionInfo& v : k.versions) {
      if (v.has_payload) {
        out << "--- page from " << v.file << " @" << v.offset << " (" << v.payload_size << " bytes"
            << (v.payload.size() < v.payload_size ? ", first " + std::to_string(v.payload.size())
                                                  : "")
            << ")\n"
            << v.payload << "\n--- end of page\n";
      } else if (!v.payload_error.empty()) {
        out << "page from " << v.file << " @" << v.offset << ": " << v.payload_error << "\n";
      }
    }
  }
  if (r.truncated) out << "(stopped after " << r.keys.size() << " keys)\n";
}

}  // namespace shardtool
