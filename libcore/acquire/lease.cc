#include "acquire/lease.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "catalog/state_json.h"
#include "catalog/state_paths.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kTmpSuffix = ".tmp";
constexpr std::string_view kJsonSuffix = ".json";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "<host>-<pid>-<nonce>.json[.tmp]" -> (host, pid); false when the name is not of that form.
bool SplitLeaseName(std::string_view name, std::string* host, int64_t* pid) {
  if (EndsWith(name, kTmpSuffix)) name.remove_suffix(kTmpSuffix.size());
  if (!EndsWith(name, kJsonSuffix)) return false;
  name.remove_suffix(kJsonSuffix.size());
  const size_t nonce_dash = name.rfind('-');
  if (nonce_dash == std::string_view::npos || nonce_dash == 0) return false;
  const size_t pid_dash = name.rfind('-', nonce_dash - 1);
  if (pid_dash == std::string_view::npos) return false;
  const std::string_view pid_text = name.substr(pid_dash + 1, nonce_dash - pid_dash - 1);
  if (pid_text.empty() || pid_text.size() > 18) return false;
  int64_t v = 0;
  for (char c : pid_text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *host = std::string(name.substr(0, pid_dash));
  *pid = v;
  return true;
}

template <typename T>
bool Get(const Json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  try {
    *out = it->template get<T>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Appends a JSON string literal.
void AppendString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendMember(std::string* out, std::string_view name) {
  if (out->size() > 1) out->push_back(',');
  AppendString(out, name);
  out->push_back(':');
}

}  // namespace

bool operator==(const Lease& a, const Lease& b) {
  const bool slots_equal =
      (a.owned_slots == nullptr) == (b.owned_slots == nullptr) &&
      (a.owned_slots == nullptr || a.owned_slots->ranges() == b.owned_slots->ranges());
  return slots_equal && a.pid == b.pid && a.host == b.host && a.proc_start == b.proc_start &&
         a.job == b.job && a.ns == b.ns && a.uuid == b.uuid && a.catalog_epoch == b.catalog_epoch &&
         a.catalog_version == b.catalog_version && a.generation == b.generation &&
         a.version == b.version && a.files == b.files && a.created_at == b.created_at &&
         a.heartbeat_at == b.heartbeat_at && a.expires_at == b.expires_at && a.stashed == b.stashed;
}

bool Lease::OwnsAnyOf(const std::vector<SlotRange>& slots) const {
  if (!owned_slots) {
    for (const SlotRange& r : slots) {
      if (r.min < r.max) return true;
    }
    return false;
  }
  for (const SlotRange& a : owned_slots->ranges()) {
    for (const SlotRange& b : slots) {
      if (std::max(a.min, b.min) < std::min(a.max, b.max)) return true;
    }
  }
  return false;
}

bool Lease::ListsFile(std::string_view name) const {
  return std::find(files.begin(), files.end(), name) != files.end();
}

std::string SerializeLease(const Lease& l) {
  // By hand rather than through a JSON DOM: leases are written on every lock-free acquisition,
  // and ownedSlots comes preformatted (SlotList).
  std::string out;
  out.reserve(512 + (l.owned_slots ? l.owned_slots->json().size() : 0) + l.files.size() * 24);
  out.push_back('{');
  auto num = [&](std::string_view name, auto v) {
    AppendMember(&out, name);
    out += std::to_string(v);
  };
  auto str = [&](std::string_view name, std::string_view v) {
    AppendMember(&out, name);
    AppendString(&out, v);
  };
  num("pid", l.pid);
  str("host", l.host);
  num("procStart", l.proc_start);
  str("job", l.job);
  str("ns", l.ns);
  str("uuid", l.uuid);
  str("catalogEpoch", l.catalog_epoch);
  num("catalogVersion", l.catalog_version);
  AppendMember(&out, "generation");
  if (l.generation) {
    out += "{\"epoch\":";
    AppendString(&out, l.generation->epoch);
    out += ",\"timestamp\":" + std::to_string(l.generation->timestamp) + "}";
  } else {
    out += "null";
  }
  AppendMember(&out, "version");
  if (l.version) {
    AppendString(&out, *l.version);
  } else {
    out += "null";
  }
  AppendMember(&out, "ownedSlots");
  out += l.owned_slots ? l.owned_slots->json() : std::string("\"all\"");
  AppendMember(&out, "files");
  out.push_back('[');
  for (size_t i = 0; i < l.files.size(); i++) {
    if (i) out.push_back(',');
    AppendString(&out, l.files[i]);
  }
  out.push_back(']');
  num("createdAt", l.created_at);
  num("heartbeatAt", l.heartbeat_at);
  num("expiresAt", l.expires_at);
  if (l.stashed) str("stashed", *l.stashed);
  out += "}\n";
  return out;
}

Result<Lease> ParseLease(std::string_view text, std::string_view path) {
  auto parsed = ParseStateJsonChecked<Json>(text);
  if (!parsed.ok()) {
    return CorruptCatalogError(path, "lease: not JSON: " + parsed.status().message());
  }
  const Json& j = *parsed;
  if (!j.is_object()) return CorruptCatalogError(path, "lease: not a JSON object");
  Lease l;
  if (!Get(j, "pid", &l.pid) || !Get(j, "host", &l.host) || !Get(j, "uuid", &l.uuid) ||
      !Get(j, "expiresAt", &l.expires_at) || !Get(j, "catalogEpoch", &l.catalog_epoch) ||
      !Get(j, "catalogVersion", &l.catalog_version)) {
    return CorruptCatalogError(path,
                               "lease: pid, host, uuid, catalogEpoch, catalogVersion or expiresAt "
                               "missing or of the wrong type");
  }
  Get(j, "procStart", &l.proc_start);
  Get(j, "job", &l.job);
  Get(j, "ns", &l.ns);
  Get(j, "createdAt", &l.created_at);
  Get(j, "heartbeatAt", &l.heartbeat_at);
  if (auto it = j.find("generation"); it != j.end() && it->is_object()) {
    CollectionGeneration g;
    if (Get(*it, "epoch", &g.epoch) && Get(*it, "timestamp", &g.timestamp)) l.generation = g;
  }
  if (auto it = j.find("version"); it != j.end() && it->is_string()) {
    l.version = it->get<std::string>();
  }
  auto slots = j.find("ownedSlots");
  if (slots == j.end()) return CorruptCatalogError(path, "lease: ownedSlots missing");
  if (!(slots->is_string() && *slots == "all")) {
    // The array of doc/acquisition.md §6 or the periodic form (slot_list.h).
    auto ranges = DecodeOwnedSlots(*slots);
    if (!ranges) {
      return CorruptCatalogError(
          path, "lease: ownedSlots is neither \"all\", [min, max] pairs nor the periodic form");
    }
    l.owned_slots = MakeSlotList(std::move(*ranges));
  }
  if (auto it = j.find("files"); it != j.end() && it->is_array()) {
    for (const Json& f : *it) {
      if (!f.is_string()) return CorruptCatalogError(path, "lease: files: not strings");
      l.files.push_back(f.get<std::string>());
    }
  } else {
    return CorruptCatalogError(path, "lease: files missing");
  }
  if (auto it = j.find("stashed"); it != j.end() && it->is_string()) {
    l.stashed = it->get<std::string>();
  }
  return l;
}

Lease NewLease(ProcessInfo* process, int64_t now) {
  Lease l;
  l.pid = process->Pid();
  l.host = process->HostName();
  l.proc_start = process->ProcStart(l.pid).value_or(0);
  l.created_at = now;
  l.heartbeat_at = now;
  l.expires_at = now + kLeaseTtlSeconds;
  return l;
}

LeaseStore::LeaseStore(FileSystem* fs, std::string workdir, ProcessInfo* process)
    : fs_(fs), workdir_(std::move(workdir)), process_(process) {}

std::string LeaseStore::NewName() const {
  char nonce[17];
  std::snprintf(nonce, sizeof(nonce), "%016" PRIx64, process_->Nonce());
  return process_->HostName() + "-" + std::to_string(process_->Pid()) + "-" + nonce + ".json";
}

std::string LeaseStore::PathOf(std::string_view uuid, std::string_view name) const {
  return JoinPath(LeasesDir(workdir_, uuid), name);
}

int64_t LeaseStore::NowSeconds() const { return fs_->NowMicros() / 1000000; }

Status LeaseStore::Write(std::string_view uuid, std::string_view name, const Lease& lease) const {
  const std::string path = PathOf(uuid, name);
  const std::string tmp = path + std::string(kTmpSuffix);
  const std::string text = SerializeLease(lease);
  auto file = fs_->OpenForWrite(tmp, WriteMode::kTruncate);
  if (!file.ok() && file.status().code() == ErrorCode::kNotFound) {
    RETURN_IF_ERROR(fs_->CreateDirs(LeasesDir(workdir_, uuid)));
    file = fs_->OpenForWrite(tmp, WriteMode::kTruncate);
  }
  if (!file.ok()) return file.status();
  Status s = (*file)->Append(text);
  if (s.ok()) s = (*file)->Close();
  // No fsync of the file or the directory: see the comment atop lease.h.
  if (s.ok()) s = fs_->Rename(tmp, path);
  if (!s.ok()) fs_->RemoveFile(tmp).IgnoreError();
  return s;
}

Status LeaseStore::Rewrite(std::string_view uuid, std::string_view name, const Lease& lease) const {
  // Not atomic with the write: a reaper that removes the lease between this check and the rename
  // would see it come back. A reaper only removes a stale lease, and a holder never rewrites an
  // expired one (callers check expiresAt first), so the window is the instant of expiry.
  const std::string path = PathOf(uuid, name);
  if (!fs_->Exists(path)) return NotFoundStatus("lease " + path + " is gone (reaped)");
  return Write(uuid, name, lease);
}

Status LeaseStore::Remove(std::string_view uuid, std::string_view name) const {
  Status s = fs_->RemoveFile(PathOf(uuid, name));
  if (!s.ok() && s.code() == ErrorCode::kNotFound) return Status::Ok();
  return s;
}

Result<Lease> LeaseStore::Read(std::string_view uuid, std::string_view name) const {
  const std::string path = PathOf(uuid, name);
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs_, path, 64 << 20));
  return ParseLease(text, path);
}

Result<std::vector<LeaseFile>> LeaseStore::List(std::string_view uuid) const {
  std::vector<LeaseFile> out;
  const std::string dir = LeasesDir(workdir_, uuid);
  auto entries = fs_->ListDir(dir);
  if (!entries.ok()) {
    if (entries.status().code() == ErrorCode::kNotFound) return out;
    return entries.status();
  }
  for (const DirEntry& e : *entries) {
    if (e.is_dir || !EndsWith(e.name, kJsonSuffix)) continue;
    LeaseFile f;
    f.name = e.name;
    f.path = JoinPath(dir, e.name);
    auto st = fs_->Stat(f.path);
    if (!st.ok()) {
      if (st.status().code() == ErrorCode::kNotFound) continue;  // removed meanwhile
      return st.status();
    }
    f.stat = *st;
    auto text = ReadFileToString(fs_, f.path, 64 << 20);
    if (!text.ok()) {
      if (text.status().code() == ErrorCode::kNotFound) continue;
      return text.status();
    }
    auto lease = ParseLease(*text, f.path);
    if (lease.ok()) f.lease = std::move(lease).value();
    out.push_back(std::move(f));
  }
  return out;
}

bool LeaseStore::IsStale(const Lease& lease, int64_t now) const {
  if (now > lease.expires_at) return true;
  if (lease.pid == 0 || lease.host != process_->HostName()) return false;
  auto start = process_->ProcStart(lease.pid);
  return !start.has_value() || *start != lease.proc_start;
}

bool LeaseStore::IsStale(const LeaseFile& file, int64_t now) const {
  if (file.lease) return IsStale(*file.lease, now);
  return now - file.stat.mtime_ns / 1000000000 > kStashTtlSeconds + kLeaseTtlSeconds;
}

Result<std::vector<LeaseFile>> LeaseStore::Live(std::string_view uuid, bool reap) const {
  ASSIGN_OR_RETURN(std::vector<LeaseFile> all, List(uuid));
  const int64_t now = NowSeconds();
  std::vector<LeaseFile> live;
  for (LeaseFile& f : all) {
    if (!IsStale(f, now)) {
      live.push_back(std::move(f));
    } else if (reap) {
      fs_->RemoveFile(f.path).IgnoreError();  // best effort (see the header)
    }
  }
  if (reap) {
    // Temporaries of dead writers of this host.
    auto entries = fs_->ListDir(LeasesDir(workdir_, uuid));
    if (entries.ok()) {
      for (const DirEntry& e : *entries) {
        std::string host;
        int64_t pid = 0;
        if (!EndsWith(e.name, kTmpSuffix) || !SplitLeaseName(e.name, &host, &pid)) continue;
        if (host == process_->HostName() && !process_->ProcStart(pid).has_value()) {
          fs_->RemoveFile(JoinPath(LeasesDir(workdir_, uuid), e.name)).IgnoreError();
        }
      }
    }
  }
  return live;
}

}  // namespace shardtool
