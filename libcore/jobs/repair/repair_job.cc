#include "jobs/repair/repair_job.h"

#include "format/crc_sidecar.h"
#include "format/data_file_writer.h"
#include "format/page_map.h"
#include "io/atomic_file.h"
#include "iter/data_file.h"
#include "iter/record_scanner.h"
#include "jobs/verify/file_verifier.h"

namespace shardtool {
namespace {

// The findings a repair of `what` addresses (the rest refuse it).
bool Repaired(RepairWhat what, const Finding& f) {
  if (what == RepairWhat::kMap) return f.rule[0] == 'M' || f.rule == "D6";
  return f.rule == "C5";
}

}  // namespace

Result<RebuiltMeta> RebuildMeta(FileSystem* fs, const std::string& dir,
                                const std::string& data_name, const RdbInfo& rdb,
                                uint64_t part_size) {
  OpenDataFileOptions opt;
  opt.default_part_size = part_size;
  opt.rdb = &rdb;
  ASSIGN_OR_RETURN(DataFile file, OpenDataFile(fs, dir, data_name, nullptr, opt, nullptr));
  const std::string path = JoinPath(dir, data_name);
  if (file.big->headless()) {
    return FailedPreconditionStatus(path + ": headless (parts before " +
                                    std::to_string(file.big->first_part()) +
                                    " were removed): its map cannot be rebuilt from its data");
  }
  PageMap map(rdb.key_size, rdb.page_size);
  CrcSidecarBuilder crc(rdb.page_size);
  RecordScanner::Options so;
  so.on_consumed = [&crc](const uint8_t* p, size_t n, uint64_t) { crc.Add(p, n); };
  RecordScanner s(file.big.get(), rdb, so);
  for (s.SeekToStart(); s.Valid(); s.Next()) {
    const Record& r = s.record();
    map.AddRecord(s.offset(), r.size, r.key, r.negative);
  }
  RETURN_IF_ERROR(s.status());
  const uint64_t size = file.big->logical_size();
  if (crc.bytes_added() != size) {
    return CorruptionStatus(path + ": the records end at " + std::to_string(crc.bytes_added()) +
                            ", the file at " + std::to_string(size));
  }
  RebuiltMeta out;
  out.map = map.Serialize();
  out.sidecar = crc.Finish().Serialize();
  out.positive = map.num_positive();
  out.negative = map.num_negative();
  out.bytes = size;
  return out;
}

Result<RepairReport> RunRepair(FileSystem* fs, const RepairRequest& req, const RepairEnv& env) {
  const int64_t start_us = fs->NowMicros();
  RepairReport rep;
  rep.what = req.what == RepairWhat::kMap ? "map" : "sidecar";
  rep.dry_run = req.dry_run;
  const std::string file =
      req.file.empty() || req.file[0] == '/' ? req.file : JoinPath(req.workdir, req.file);
  ASSIGN_OR_RETURN(auto resolved, ResolveDataFilePath(fs, file));
  const auto& [dir, data_name] = resolved;
  const auto name = ParseDataFileName(data_name);
  if (!name || name->is_merge()) {
    return FailedPreconditionStatus(JoinPath(dir, data_name) +
                                    ": a merge target; let `shardtool merge` finish it");
  }
  const RdbInfo* rdb = FindRdb(name->db);
  if (rdb == nullptr) return UsageErrorStatus(data_name + ": not a registry Rdb");

  CatalogCache* cache = env.catalogs ? env.catalogs : CatalogCache::Process();
  ASSIGN_OR_RETURN(auto snap, cache->Get(fs, req.workdir));
  const Catalog& cat = snap->catalog();
  const DatabaseEntry* db = nullptr;
  for (const DatabaseEntry& d : cat.databases) {
    if (JoinPath(req.workdir, d.DirName()) == dir || d.DirName() == BaseName(dir)) db = &d;
  }
  if (db == nullptr) {
    return NotFoundStatus(dir + " is not a database dir of " + req.workdir);
  }
  const std::string ns = db->name + "." + std::string(rdb->name);
  uint64_t part_size = kGbPartSize;
  if (const CollectionEntry* c = cat.FindCollection(ns)) part_size = c->part_size;
  rep.file = JoinPath(db->DirName(), data_name);
  const std::string meta_name =
      req.what == RepairWhat::kMap ? MapName(rdb->name, name->id) : CrcName(rdb->name, name->id);
  rep.written = JoinPath(db->DirName(), meta_name);
  const std::string meta_path = JoinPath(dir, meta_name);

  RETURN_IF_ERROR(RefuseWhileGigablastRuns(env, req.workdir, req.force || req.dry_run));
  // Held to the end: no merge, import or ingest of the collection meanwhile.
  ASSIGN_OR_RETURN(LocalWrite lw, AcquireLocalWrite(fs, req.workdir, env, "repair", ns, req.dry_run,
                                                    req.lock_timeout_ms));

  if (req.what == RepairWhat::kSidecar && fs->Exists(meta_path)) {
    return FailedPreconditionStatus(rep.written +
                                    " exists: a sidecar is only written for a file without one");
  }
  // The deep check: the data must be sound before its map or sidecar is (re)made from it.
  OpenDataFileOptions open;
  open.default_part_size = part_size;
  open.rdb = rdb;
  FileVerifyOptions vo;
  ASSIGN_OR_RETURN(FileVerifyReport check, VerifyFile(fs, dir, data_name, nullptr, open, vo));
  for (const Finding& f : check.findings) {
    if (f.severity != Severity::kError) continue;
    if (!Repaired(req.what, f)) {
      return CorruptionStatus(rep.file + " fails its check (" + f.ToString() +
                              "): refusing to write its " + rep.what)
          .With("rule", f.rule);
    }
    rep.findings.push_back(f);
  }
  ASSIGN_OR_RETURN(RebuiltMeta m, RebuildMeta(fs, dir, data_name, *rdb, part_size));
  rep.positive = m.positive;
  rep.negative = m.negative;
  rep.bytes = m.bytes;
  const std::string& bytes = req.what == RepairWhat::kMap ? m.map : m.sidecar;
  if (fs->Exists(meta_path)) {
    ASSIGN_OR_RETURN(const std::string old, ReadFileToString(fs, meta_path));
    rep.unchanged = old == bytes;
    rep.replaced = !rep.unchanged;
  }
  if (!rep.unchanged && !req.dry_run) {
    RETURN_IF_ERROR(WriteFileAtomically(fs, meta_path, bytes));
  }
  rep.seconds = static_cast<double>(fs->NowMicros() - start_us) / 1e6;
  return rep;
}

}  // namespace shardtool
