#include "jobs/import/import_ledger.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "base/crc32c.h"
#include "catalog/state_json.h"
#include "catalog/state_paths.h"
#include "io/atomic_file.h"
#include "io/test_point.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

Json PosJson(const SourcePos& p) { return {{"file_id", p.file_id}, {"offset", p.offset}}; }

SourcePos PosFrom(const Json& j) {
  return {j.at("file_id").get<int32_t>(), j.at("offset").get<uint64_t>()};
}

std::string SlotsHex(const std::bitset<kNumSlots>& b) {
  static const char* kHex = "0123456789abcdef";
  std::string out(kNumSlots / 4, '0');
  for (int i = 0; i < kNumSlots; i += 4) {
    const int v = b[i] | (b[i + 1] << 1) | (b[i + 2] << 2) | (b[i + 3] << 3);
    out[static_cast<size_t>(i / 4)] = kHex[v];
  }
  return out;
}

// The slot set of SlotsHex's text; Corruption with the reason otherwise.
Result<std::bitset<kNumSlots>> SlotsFromHex(const std::string& h) {
  if (h.size() != kNumSlots / 4) return CorruptionStatus("slots: not 2048 hex digits");
  std::bitset<kNumSlots> b;
  for (int i = 0; i < kNumSlots / 4; ++i) {
    const char c = h[static_cast<size_t>(i)];
    const int v = c >= 'a' ? c - 'a' + 10 : c - '0';
    if (v < 0 || v > 15) return CorruptionStatus("slots: not hex");
    for (int k = 0; k < 4; ++k) b[static_cast<size_t>(i * 4 + k)] = (v >> k) & 1;
  }
  return b;
}

}  // namespace

std::bitset<kNumSlots> SlotBits(const std::vector<SlotRange>& ranges) {
  std::bitset<kNumSlots> b;
  for (const SlotRange& r : ranges) {
    for (int s = r.min; s < r.max; ++s) b[static_cast<size_t>(s)] = true;
  }
  return b;
}

std::string ImportLedgerPath(const std::string& workdir, const std::string& db,
                             const std::string& rdb, const std::string& srcid) {
  return JoinPath(JournalDir(workdir), "import-ledger." + db + "." + rdb + "." + srcid + ".json");
}

std::string SourceId(const std::string& canonical_dir) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", Crc32c(canonical_dir));
  return buf;
}

Status ImportLedger::Load() {
  entries_.clear();
  if (!fs_->Exists(path_)) return Status::Ok();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs_, path_));
  auto bad = [this](const std::string& why) {
    return CorruptionStatus(path_ + ": not an import ledger: " + why);
  };
  auto parsed = ParseStateJsonChecked<Json>(text);
  if (!parsed.ok()) return bad(parsed.status().message());
  try {
    const Json& j = *parsed;
    if (j.at("schema_version").get<int>() != 1) {
      return CorruptionStatus(path_ + ": unknown schema_version");
    }
    for (const Json& e : j.at("entries")) {
      LedgerEntry le;
      le.target = e.at("target").get<std::string>();
      le.from = PosFrom(e.at("from"));
      le.to = PosFrom(e.at("to"));
      auto slots = SlotsFromHex(e.at("slots").get<std::string>());
      if (!slots.ok()) return bad(slots.status().message());
      le.slots = *slots;
      for (const Json& r : e.at("renames")) {
        le.renames.push_back({r.at(0).get<std::string>(), r.at(1).get<std::string>()});
      }
      le.label = e.value("label", "");
      le.committing = e.value("state", "") == "committing";
      entries_.push_back(std::move(le));
    }
  } catch (const nlohmann::json::exception& ex) {
    return bad(ex.what());
  }
  return Status::Ok();
}

bool ImportLedger::Holds(const std::string& target, const SourcePos& pos, int slot) const {
  for (const LedgerEntry& e : entries_) {
    if (e.target != target || pos < e.from || !(pos < e.to)) continue;
    if (slot >= 0 && slot < kNumSlots && e.slots[static_cast<size_t>(slot)]) return true;
  }
  return false;
}

bool ImportLedger::HasLabel(const std::string& target, const std::string& label) const {
  for (const LedgerEntry& e : entries_) {
    if (e.target == target && e.label == label) return true;
  }
  return false;
}

Status ImportLedger::DoRenames(LedgerEntry& e, int* done) {
  std::set<std::string> dirs;
  for (const LedgerRename& r : e.renames) {
    if (!fs_->Exists(r.from)) continue;  // renamed before the crash
    RETURN_IF_ERROR(fs_->Rename(r.from, r.to));
    dirs.insert(DirName(r.to));
    dirs.insert(DirName(r.from));
    ++*done;
  }
  for (const std::string& d : dirs) RETURN_IF_ERROR(fs_->SyncDir(d));
  e.committing = false;
  return Status::Ok();
}

Result<int> ImportLedger::RollForward() {
  int done = 0;
  for (LedgerEntry& e : entries_) {
    if (e.committing) RETURN_IF_ERROR(DoRenames(e, &done));
  }
  return done;
}

Status ImportLedger::Write() {
  Json j;
  j["schema_version"] = 1;
  Json arr = Json::array();
  for (const LedgerEntry& e : entries_) {
    Json je;
    je["target"] = e.target;
    je["from"] = PosJson(e.from);
    je["to"] = PosJson(e.to);
    je["slots"] = SlotsHex(e.slots);
    Json renames = Json::array();
    for (const LedgerRename& r : e.renames) renames.push_back({r.from, r.to});
    je["renames"] = renames;
    if (!e.label.empty()) je["label"] = e.label;
    je["state"] = e.committing ? "committing" : "done";
    arr.push_back(je);
  }
  j["entries"] = arr;
  RETURN_IF_ERROR(fs_->CreateDirs(DirName(path_)));
  return WriteFileAtomically(fs_, path_, j.dump(1) + "\n");
}

Status ImportLedger::Commit(LedgerEntry entry, const SourcePos& prune_before) {
  std::vector<LedgerEntry> kept;
  for (LedgerEntry& e : entries_) {
    if (!e.committing && e.to <= prune_before) continue;
    kept.push_back(std::move(e));
  }
  entry.committing = true;
  kept.push_back(std::move(entry));
  entries_ = std::move(kept);
  TEST_POINT("import.before_ledger_commit");
  RETURN_IF_ERROR(Write());
  TEST_POINT("import.after_ledger_commit");
  return Status::Ok();
}

Status ImportLedger::Publish() {
  if (entries_.empty()) return Status::Ok();
  int done = 0;
  return DoRenames(entries_.back(), &done);
}

}  // namespace shardtool
