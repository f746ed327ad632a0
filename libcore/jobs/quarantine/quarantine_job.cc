#include "jobs/quarantine/quarantine_job.h"

#include <nlohmann/json.hpp>

#include "catalog/state_paths.h"
#include "jobs/bundle/bundle_writer.h"

namespace shardtool {
namespace {

constexpr char kDropPrefix[] = ".drop.";

// A plain entry name: no path, not hidden.
Status CheckEntryName(const std::string& entry) {
  if (entry.empty() || entry[0] == '.' || entry.find('/') != std::string::npos) {
    return UsageErrorStatus("'" + entry + "' is not a quarantine entry name");
  }
  return Status::Ok();
}

Status AppendLog(FileSystem* fs, const std::string& workdir, nlohmann::ordered_json line) {
  line["time"] = Iso8601Utc(fs->NowMicros() / 1000000);
  ASSIGN_OR_RETURN(auto f, fs->OpenForWrite(QuarantineLogPath(workdir), WriteMode::kAppend));
  RETURN_IF_ERROR(f->Append(line.dump() + "\n"));
  RETURN_IF_ERROR(f->Sync());
  RETURN_IF_ERROR(f->Close());
  return fs->SyncDir(QuarantineDir(workdir));
}

// Removes dir's files and dir itself (entries are flat).
Result<int64_t> RemoveFlatDir(FileSystem* fs, const std::string& dir) {
  ASSIGN_OR_RETURN(auto entries, fs->ListDir(dir));
  int64_t n = 0;
  for (const DirEntry& e : entries) {
    if (e.is_dir) return FailedPreconditionStatus(dir + " holds a directory: not removed");
    RETURN_IF_ERROR(fs->RemoveFile(JoinPath(dir, e.name)));
    ++n;
  }
  RETURN_IF_ERROR(fs->RemoveDir(dir));
  return n;
}

// Finishes drops interrupted after their rename.
Status FinishDrops(FileSystem* fs, const std::string& workdir) {
  const std::string qdir = QuarantineDir(workdir);
  if (!fs->Exists(qdir)) return Status::Ok();
  ASSIGN_OR_RETURN(auto entries, fs->ListDir(qdir));
  bool removed = false;
  for (const DirEntry& e : entries) {
    if (!e.is_dir || e.name.rfind(kDropPrefix, 0) != 0) continue;
    RETURN_IF_ERROR(RemoveFlatDir(fs, JoinPath(qdir, e.name)).status());
    removed = true;
  }
  return removed ? fs->SyncDir(qdir) : Status::Ok();
}

}  // namespace

std::string QuarantineDir(const std::string& workdir) {
  return JoinPath(StateDir(workdir), "quarantine");
}
std::string QuarantineLogPath(const std::string& workdir) {
  return JoinPath(QuarantineDir(workdir), "log.jsonl");
}

Result<std::vector<DbQuarantineInfo>> ListQuarantine(FileSystem* fs, const std::string& workdir,
                                                     const std::string& database) {
  RETURN_IF_ERROR(FinishDrops(fs, workdir));
  std::vector<DbQuarantineInfo> out;
  QuarantineEntries(fs, workdir, database, &out);
  return out;
}

Result<QuarantineExport> ExportQuarantine(FileSystem* fs, const std::string& workdir,
                                          const Catalog& catalog, const std::string& entry,
                                          const std::string& to_dir) {
  RETURN_IF_ERROR(CheckEntryName(entry));
  const std::string dir = JoinPath(QuarantineDir(workdir), entry);
  if (!fs->Exists(dir)) return NotFoundStatus("no quarantine entry " + dir);
  ASSIGN_OR_RETURN(const std::string text, ReadFileToString(fs, JoinPath(dir, "manifest.json")));
  ASSIGN_OR_RETURN(BundleManifest m, ParseBundleManifest(text, JoinPath(dir, "manifest.json")));
  for (const BundleStreamInfo& s : m.streams) {
    if (s.encoding == "raw") {
      return FailedPreconditionStatus(dir + ": stream " + s.file +
                                      " holds raw bytes that did not decode: not ingestable");
    }
  }
  ASSIGN_OR_RETURN(BundleContents b, ReadBundle(fs, dir));
  const RdbInfo* rdb = FindRdb(m.rdb);
  if (rdb == nullptr) return CorruptionStatus(dir + ": unknown rdb " + m.rdb);
  BundleHeader h;
  h.kind = "orphans";
  const int64_t now = fs->NowMicros() / 1000000;
  h.created = Iso8601Utc(now);
  h.source_host_id = catalog.this_host;
  h.source_shard = catalog.this_shard();
  h.target_shard = m.header.target_shard;
  h.database = m.header.database;
  h.catalog_epoch = catalog.epoch;
  h.catalog_version = catalog.version;
  if (const CollectionEntry* c = catalog.FindCollection(m.header.database + "." + m.rdb)) {
    h.catalog_shard_version = ShardVersionOf(*c, h.target_shard).ToString();
    h.collection_uuid = c->uuid;
  }
  const std::string name =
      BundleDirName(h.database, m.rdb, h.target_shard, now, static_cast<uint32_t>(text.size()));
  BundleWriter w(fs, to_dir, name, *rdb, h);
  if (fs->Exists(w.final_path())) return FailedPreconditionStatus(w.final_path() + " exists");
  RETURN_IF_ERROR(w.Open());
  // One input stream after the other (oldest first), so that the order of versions is kept.
  for (size_t i = 0; i < b.streams.size(); i++) {
    for (const BundleRecord& r : b.streams[i]) {
      RETURN_IF_ERROR(w.Add(static_cast<int>(i), reinterpret_cast<const uint8_t*>(r.key.data()),
                            reinterpret_cast<const uint8_t*>(r.data.data()),
                            static_cast<uint32_t>(r.data.size())));
    }
    RETURN_IF_ERROR(w.FlushAll());
  }
  RETURN_IF_ERROR(w.Commit());
  QuarantineExport out;
  out.entry = entry;
  out.bundle = w.final_path();
  out.positive = m.positive;
  out.negative = m.negative;
  out.records = m.positive + m.negative;
  out.target_shard = h.target_shard;
  RETURN_IF_ERROR(AppendLog(fs, workdir,
                            {{"action", "export"},
                             {"entry", entry},
                             {"bundle", out.bundle},
                             {"records", out.records},
                             {"target_shard", out.target_shard}}));
  return out;
}

Result<QuarantineDrop> DropQuarantine(FileSystem* fs, const std::string& workdir,
                                      const std::string& entry) {
  RETURN_IF_ERROR(CheckEntryName(entry));
  const std::string qdir = QuarantineDir(workdir);
  const std::string dir = JoinPath(qdir, entry);
  if (!fs->Exists(dir)) return NotFoundStatus("no quarantine entry " + dir);
  const std::string doomed = JoinPath(qdir, kDropPrefix + entry);
  RETURN_IF_ERROR(fs->Rename(dir, doomed));
  RETURN_IF_ERROR(fs->SyncDir(qdir));
  QuarantineDrop out;
  out.entry = entry;
  ASSIGN_OR_RETURN(out.files, RemoveFlatDir(fs, doomed));
  RETURN_IF_ERROR(fs->SyncDir(qdir));
  RETURN_IF_ERROR(
      AppendLog(fs, workdir, {{"action", "drop"}, {"entry", entry}, {"files", out.files}}));
  return out;
}

}  // namespace shardtool
