#include "jobs/inspect/inspect_db.h"

#include <algorithm>
#include <set>

#include "acquire/lease.h"
#include "catalog/namespace.h"
#include "catalog/state_paths.h"
#include "format/crc_sidecar.h"
#include "format/file_name.h"
#include "iter/data_file.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/merge/merge_journal.h"

namespace shardtool {
namespace {

// A missing directory lists as empty.
std::vector<DirEntry> ListOrEmpty(FileSystem* fs, const std::string& dir) {
  auto l = fs->ListDir(dir);
  if (!l.ok()) return {};
  std::vector<DirEntry> v = std::move(*l);
  std::sort(v.begin(), v.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return v;
}

void FillSidecar(FileSystem* fs, const std::string& dir, const DataFile& df, DbFileInfo* f) {
  if (!df.has_crc) return;
  const std::string path = JoinPath(dir, df.crc_name);
  auto bytes = ReadFileToString(fs, path, uint64_t{1} << 30);
  if (!bytes.ok()) {
    f->sidecar = "corrupt";
    f->sidecar_detail = bytes.status().message();
    return;
  }
  auto sc = CrcSidecar::Parse(*bytes, path);
  if (!sc.ok()) {
    f->sidecar = "corrupt";
    f->sidecar_detail = sc.status().message();
  } else if (sc->data_size != f->size) {
    f->sidecar = "stale";
    f->sidecar_detail = "covers " + std::to_string(sc->data_size) + " bytes, the file has " +
                        std::to_string(f->size) + " (C3)";
  } else {
    f->sidecar = "present";
  }
}

// The first structural error of the file's map (M2-M6, M9: e.g. an endOffset the data does not
// have) as "message (rule)", or "" when there is none.
std::string MapStructureError(const DataFile& df, const std::string& dir) {
  if (!df.map) return "";
  std::vector<Finding> found;
  df.map->CheckStructure(df.big->logical_size(), df.big->first_part(), df.big->part_size(),
                         JoinPath(dir, df.map_name), &found, 1);
  for (const Finding& f : found) {
    if (f.severity == Severity::kError) return f.message + " (" + f.rule + ")";
  }
  return "";
}

DbFileInfo FileInfo(FileSystem* fs, const std::string& dir, const std::vector<DirEntry>& entries,
                    const CommittedFile& cf, const CollectionEntry& c, const RdbInfo& rdb) {
  DbFileInfo f;
  f.name = cf.name;
  f.id = cf.id;
  f.merge = cf.merge;
  f.parts = cf.parts;
  f.disk_bytes = cf.total_size;
  f.page_size = rdb.page_size;
  OpenDataFileOptions o;
  o.default_part_size = c.part_size;
  o.rdb = &rdb;
  auto df = OpenDataFile(fs, dir, cf.name, &entries, o, nullptr);
  if (!df.ok()) {
    f.map_error = df.status().message();
    f.size = cf.total_size;
    return f;
  }
  f.merge_files = df->name.is_merge() ? df->name.merge_files : 0;
  f.size = df->big->logical_size();
  f.headless = df->big->headless();
  f.first_part = df->big->first_part();
  if (std::string bad = MapStructureError(*df, dir); !bad.empty()) {
    f.map_error = bad;  // its counts are not to be believed
  } else if (df->map) {
    const PageMap& m = *df->map;
    f.map_ok = true;
    f.page_size = static_cast<uint32_t>(m.page_size());
    f.positive = m.num_positive();
    f.negative = m.num_negative();
    if (m.num_pages() > 0 && f.positive + f.negative > 0) {
      f.first_key = KeyHex(m.page_key(0), rdb.key_size);
      f.last_key = KeyHex(m.last_key(), rdb.key_size);
    }
  } else {
    f.map_error = df->map_status.message();
  }
  FillSidecar(fs, dir, *df, &f);
  return f;
}

DbLeaseInfo LeaseInfo(const LeaseStore& store, const LeaseFile& lf, int64_t now) {
  DbLeaseInfo l;
  l.name = lf.name;
  l.stale = store.IsStale(lf, now);
  if (!lf.lease) {
    l.error = "does not parse";
    return l;
  }
  const Lease& x = *lf.lease;
  l.readable = true;
  l.pid = x.pid;
  l.host = x.host;
  l.job = x.job;
  l.catalog_version = x.catalog_version;
  l.version = x.version.value_or("");
  l.created_at = x.created_at;
  l.expires_at = x.expires_at;
  l.stashed = x.stashed.value_or("");
  l.files = x.files.size();
  return l;
}

std::optional<DbMergeInfo> MergeInfo(FileSystem* fs, const std::string& workdir,
                                     const std::string& uuid) {
  const std::string path = MergeJournalPath(workdir, uuid);
  if (!fs->Exists(path)) return std::nullopt;
  DbMergeInfo m;
  auto j = ReadMergeJournal(fs, workdir, uuid);
  if (!j.ok()) {
    m.error = j.status().message();
    return m;
  }
  if (!j->has_value()) return std::nullopt;
  const MergeJournal& x = **j;
  m.readable = true;
  m.state = x.state;
  m.phase = x.phase;
  for (const MergeJournalInput& in : x.inputs) m.inputs.push_back(in.name);
  m.target = x.target_data;
  m.final_name = x.final_data;
  m.started = x.started;
  m.updated = x.updated;
  m.target_size = x.target_size;
  m.records_in = x.counters.records_in;
  m.records_out = x.counters.records_out;
  m.last_key = x.last_key.value_or("");
  return m;
}

Result<DbCollectionInfo> CollectionInfo(FileSystem* fs, const std::string& workdir,
                                        const Catalog& catalog, const DatabaseEntry& db,
                                        const CollectionEntry& c,
                                        const std::vector<DirEntry>& entries,
                                        const LeaseStore& leases, int64_t now) {
  DbCollectionInfo ci;
  ci.ns = c.ns;
  ci.uuid = c.uuid;
  ci.rdb = c.rdb;
  ci.sharded = c.sharded;
  ci.shard_version = CurrentShardVersion(catalog, c).ToString();
  ci.part_size = c.part_size;
  const RdbInfo* rdb = FindRdb(c.rdb);
  if (rdb == nullptr) return ci;
  const std::string dir = JoinPath(workdir, db.DirName());
  auto retired = ReadRetiredList(fs, workdir, c.uuid);
  if (retired.ok()) {
    ci.retired = retired->files;
  } else {
    ci.retired_error = retired.status().message();
  }
  ASSIGN_OR_RETURN(auto files, ListDataFiles(fs, dir, *rdb));
  for (const CommittedFile& cf : files) {
    DbFileInfo f = FileInfo(fs, dir, entries, cf, c, *rdb);
    f.retired = retired.ok() && retired->Contains(cf.name);
    if (!f.retired && !f.merge) {
      ci.files_committed++;
      ci.positive += f.positive;
      ci.negative += f.negative;
      ci.bytes += f.size;
    }
    ci.files.push_back(std::move(f));
  }
  ci.merge = MergeInfo(fs, workdir, c.uuid);
  auto lease_files = leases.List(c.uuid);
  if (lease_files.ok()) {
    for (const LeaseFile& lf : *lease_files) ci.leases.push_back(LeaseInfo(leases, lf, now));
  }
  for (const RangeDeletion& rd : catalog.range_deletions) {
    if (rd.ns == c.ns) ci.range_deletions.push_back(rd);
  }
  return ci;
}

void StateFiles(FileSystem* fs, const std::string& workdir, const std::string& sub,
                const std::vector<std::string>& needles, std::vector<DbStateFile>* out) {
  const std::string dir = JoinPath(StateDir(workdir), sub);
  for (const DirEntry& e : ListOrEmpty(fs, dir)) {
    if (e.is_dir) continue;
    bool mine = false;
    for (const std::string& n : needles) mine |= e.name.find(n) != std::string::npos;
    if (!mine) continue;
    DbStateFile f;
    f.path = "shardtool/" + sub + "/" + e.name;
    auto st = fs->Stat(JoinPath(dir, e.name));
    if (st.ok()) f.size = st->size;
    if (e.name.rfind("merge.", 0) == 0) {
      f.detail = "merge journal";
    } else if (e.name.rfind("retired.", 0) == 0) {
      f.detail = "retired files";
    } else if (e.name.rfind("import-ledger.", 0) == 0) {
      f.detail = "import ledger (what this target already holds)";
    } else if (e.name.rfind("import.", 0) == 0) {
      f.detail = sub == "bookmarks" ? "import bookmark" : "import journal";
    } else if (e.name.rfind("verify", 0) == 0) {
      f.detail = "stashed verify";
    } else {
      f.detail = "journal";
    }
    out->push_back(std::move(f));
  }
}

// shardtool/tmp/import.<database>.<rdb>.<srcid>.<run>/: the runs of an import that did not end
// cleanly; the size is the sum of its files.
void SpillRunDirs(FileSystem* fs, const std::string& workdir, const std::string& database,
                  std::vector<DbStateFile>* out) {
  const std::string dir = JoinPath(StateDir(workdir), "tmp");
  const std::string prefix = "import." + database + ".";
  for (const DirEntry& e : ListOrEmpty(fs, dir)) {
    if (!e.is_dir || e.name.rfind(prefix, 0) != 0) continue;
    DbStateFile f;
    f.path = "shardtool/tmp/" + e.name + "/";
    int runs = 0;
    for (const DirEntry& run : ListOrEmpty(fs, JoinPath(dir, e.name))) {
      if (run.is_dir) continue;
      auto st = fs->Stat(JoinPath(JoinPath(dir, e.name), run.name));
      if (st.ok()) f.size += st->size;
      ++runs;
    }
    f.detail = "import spill runs (" + std::to_string(runs) +
               " files; a cache, removed by the next import of this source)";
    out->push_back(std::move(f));
  }
}

}  // namespace

void QuarantineEntries(FileSystem* fs, const std::string& workdir, const std::string& database,
                       std::vector<DbQuarantineInfo>* out) {
  const std::string dir = JoinPath(StateDir(workdir), "quarantine");
  for (const DirEntry& e : ListOrEmpty(fs, dir)) {
    if (!e.is_dir) continue;
    DbQuarantineInfo q;
    q.entry = e.name;
    const std::string mpath = JoinPath(JoinPath(dir, e.name), "manifest.json");
    auto text = ReadFileToString(fs, mpath, uint64_t{64} << 20);
    if (!text.ok()) {
      // An entry being written (".tmp") or without a manifest is incomplete (doc/format.md §10.2).
      if (e.name.rfind(database + ".", 0) != 0) continue;
      q.error = "incomplete: no manifest.json";
      out->push_back(std::move(q));
      continue;
    }
    auto m = ParseBundleManifest(*text, mpath);
    if (!m.ok()) {
      if (e.name.rfind(database + ".", 0) != 0) continue;
      q.error = m.status().message();
      out->push_back(std::move(q));
      continue;
    }
    if (m->header.database != database) continue;
    q.readable = true;
    q.kind = m->header.kind;
    q.rdb = m->rdb;
    q.created = m->header.created;
    q.target_shard = m->header.target_shard;
    q.positive = m->positive;
    q.negative = m->negative;
    std::set<std::string> reasons, sources;
    for (const BundleStreamInfo& s : m->streams) {
      if (!s.reason.empty()) reasons.insert(s.reason);
      if (!s.source_file.empty()) sources.insert(s.source_file);
    }
    q.reasons.assign(reasons.begin(), reasons.end());
    q.sources.assign(sources.begin(), sources.end());
    out->push_back(std::move(q));
  }
}

Result<DbReport> InspectDb(FileSystem* fs, const std::string& workdir, const Catalog& catalog,
                           const std::string& database, const InspectDbOptions& opt) {
  if (!IsValidNamePart(database)) {
    return InvalidNamespaceStatus("'" + database + "' is not a valid database name")
        .With("input", database);
  }
  const DatabaseEntry* db = catalog.FindDatabase(database);
  if (db == nullptr) {
    return NamespaceNotFoundStatus("database '" + database +
                                   "' is not in the catalog (run shardtool init?)")
        .With("db", database)
        .WithNull("uuid");
  }
  const int64_t now = opt.now != 0 ? opt.now : fs->NowMicros() / 1000000;
  LeaseStore leases(fs, workdir, opt.process != nullptr ? opt.process : SystemProcessInfo());
  DbReport r;
  r.database = database;
  r.uuid = db->uuid;
  r.collnum = db->collnum;
  r.dir = db->DirName();
  r.db_version = db->db_version ? db->db_version->ToString() : "";
  r.host_id = catalog.this_host;
  r.shard = catalog.this_shard();
  r.catalog_epoch = catalog.epoch;
  r.catalog_version = catalog.version;
  const std::string dir = JoinPath(workdir, r.dir);
  r.dir_present = fs->Exists(dir);
  const std::vector<DirEntry> entries = ListOrEmpty(fs, dir);
  std::vector<std::string> needles = {"." + database + "."};
  for (const CollectionEntry& c : catalog.collections) {
    if (c.db() != database) continue;
    ASSIGN_OR_RETURN(DbCollectionInfo ci,
                     CollectionInfo(fs, workdir, catalog, *db, c, entries, leases, now));
    needles.push_back(c.uuid);
    r.files += ci.files_committed;
    r.positive += ci.positive;
    r.negative += ci.negative;
    r.bytes += ci.bytes;
    for (const DbLeaseInfo& l : ci.leases) r.live_leases += !l.stale;
    r.merges += ci.merge.has_value();
    for (const DbFileInfo& f : ci.files) r.retired_files += f.retired;
    r.collections.push_back(std::move(ci));
  }
  for (const ViewEntry& v : catalog.views) {
    if (NamespaceDb(v.ns) == database) r.views.push_back(v.ns + " on " + v.view_on);
  }
  for (const std::string& rdb : RdbsWithDataFiles(entries)) {
    if (catalog.FindCollection(database + "." + rdb) == nullptr) r.uncatalogued_rdbs.push_back(rdb);
  }
  StateFiles(fs, workdir, "journal", needles, &r.journals);
  StateFiles(fs, workdir, "bookmarks", {"." + database + "."}, &r.bookmarks);
  SpillRunDirs(fs, workdir, database, &r.spill_runs);
  QuarantineEntries(fs, workdir, database, &r.quarantine);
  return r;
}

}  // namespace shardtool
