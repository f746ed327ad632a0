#include "acquire/catalog_cache.h"

#include <algorithm>

#include "catalog/state_paths.h"
#include "format/rdb_registry.h"

namespace shardtool {
namespace {

constexpr uint64_t kMaxCatalogSize = uint64_t{256} << 20;
constexpr int kLoadAttempts = 5;
constexpr size_t kMaxEntries = 16;

bool SameStat(const FileStat& a, const FileStat& b) {
  return a.inode == b.inode && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

template <typename Vec, typename Key>
auto FindSorted(const Vec& v, std::string_view key, Key key_of) -> decltype(&v[0]) {
  auto it = std::lower_bound(v.begin(), v.end(), key,
                             [&](const auto& e, std::string_view k) { return key_of(e) < k; });
  if (it == v.end() || key_of(*it) != key) return nullptr;
  return &*it;
}

Result<std::string> ReadHeader(FileSystem* fs, const std::string& path, size_t n) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, fs->OpenForRead(path));
  std::string out(n, '\0');
  size_t got = 0;
  RETURN_IF_ERROR(f->Read(0, n, reinterpret_cast<uint8_t*>(out.data()), &got));
  out.resize(got);
  return out;
}

}  // namespace

struct CatalogSnapshot::Derived {
  ShardVersion current;
  mutable std::once_flag filter_once;
  mutable std::shared_ptr<const OwnershipFilter> filter;
  mutable SlotListPtr owned;
  mutable std::once_flag owners_once;
  mutable std::shared_ptr<const SlotOwnerTable> owners;
};

CatalogSnapshot::CatalogSnapshot(Catalog catalog, FileStat stat, std::string header,
                                 std::string path)
    : catalog_(std::move(catalog)),
      stat_(stat),
      header_(std::move(header)),
      path_(std::move(path)),
      this_shard_(catalog_.this_shard()) {
  derived_.reserve(catalog_.collections.size());
  for (size_t i = 0; i < catalog_.collections.size(); i++) {
    const CollectionEntry& c = catalog_.collections[i];
    by_uuid_.emplace(c.uuid, i);
    auto d = std::make_unique<Derived>();
    d->current = ShardVersionOf(c, this_shard_);
    derived_.push_back(std::move(d));
  }
}

const DatabaseEntry* CatalogSnapshot::FindDatabase(std::string_view name) const {
  return FindSorted(catalog_.databases, name,
                    [](const DatabaseEntry& d) -> std::string_view { return d.name; });
}

const CollectionEntry* CatalogSnapshot::FindCollection(std::string_view ns) const {
  return FindSorted(catalog_.collections, ns,
                    [](const CollectionEntry& c) -> std::string_view { return c.ns; });
}

const CollectionEntry* CatalogSnapshot::FindCollectionByUuid(std::string_view uuid) const {
  auto it = by_uuid_.find(std::string(uuid));
  return it == by_uuid_.end() ? nullptr : &catalog_.collections[it->second];
}

const ViewEntry* CatalogSnapshot::FindView(std::string_view ns) const {
  return FindSorted(catalog_.views, ns,
                    [](const ViewEntry& v) -> std::string_view { return v.ns; });
}

size_t CatalogSnapshot::IndexOf(const CollectionEntry& c) const {
  return static_cast<size_t>(&c - catalog_.collections.data());
}

const ShardVersion& CatalogSnapshot::CurrentVersion(const CollectionEntry& c) const {
  return derived_[IndexOf(c)]->current;
}

std::shared_ptr<const OwnershipFilter> CatalogSnapshot::Filter(const CollectionEntry& c) const {
  const Derived& d = *derived_[IndexOf(c)];
  std::call_once(d.filter_once, [&] {
    const RdbInfo* rdb = FindRdb(c.rdb);  // valid catalogs only name registry Rdbs
    d.filter = std::make_shared<const OwnershipFilter>(c, this_shard_, *rdb);
    d.owned = MakeSlotList(d.filter->OwnedRanges());
  });
  return d.filter;
}

SlotListPtr CatalogSnapshot::OwnedSlots(const CollectionEntry& c) const {
  Filter(c);
  return derived_[IndexOf(c)]->owned;
}

std::shared_ptr<const SlotOwnerTable> CatalogSnapshot::SlotOwners(const CollectionEntry& c) const {
  const Derived& d = *derived_[IndexOf(c)];
  std::call_once(d.owners_once, [&] {
    auto table = std::make_shared<SlotOwnerTable>();
    table->fill(-1);
    for (const Chunk& ch : c.chunks) {
      for (int32_t s = std::max(ch.min, 0); s < std::min(ch.max, kNumSlots); s++) {
        (*table)[static_cast<size_t>(s)] = static_cast<int16_t>(ch.shard);
      }
    }
    d.owners = std::move(table);
  });
  return d.owners;
}

Result<std::shared_ptr<const CatalogSnapshot>> CatalogCache::Get(FileSystem* fs,
                                                                 const std::string& workdir) {
  const std::string path = CatalogPath(workdir);
  const auto key = std::make_pair(fs, path);
  for (int attempt = 0;; attempt++) {
    auto before = fs->Stat(path);
    if (!before.ok()) {
      if (before.status().code() == ErrorCode::kNotFound) {
        return NotFoundStatus(path + ": no catalog (run `shardtool init --host-id N` first)");
      }
      return before.status();
    }
    std::shared_ptr<const CatalogSnapshot> cached;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(key);
      if (it != entries_.end()) cached = it->second;
      // A stamp already verified (header equal) while settled: unchanged since (see the header).
      auto s = settled_.find(key);
      if (cached && s != settled_.end() && before->ctime_ns != 0 && SameStamp(s->second, *before)) {
        return cached;
      }
    }
    if (cached && SameStat(cached->stat(), *before)) {
      auto header = ReadHeader(fs, path, kHeaderBytes);
      if (header.ok() && *header == cached->header_) {
        if (before->ctime_ns != 0 && StampSettled(*before, fs->NowMicros(), kSettledMicros)) {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = entries_.find(key);
          if (it != entries_.end() && it->second == cached) settled_[key] = *before;
        }
        return cached;
      }
      if (!header.ok() && header.status().code() != ErrorCode::kNotFound) return header.status();
    }
    // Parse: stat, read, stat; a rename in between shows as another inode and the read is
    // repeated, so the stat kept always describes the bytes parsed.
    auto text = ReadFileToString(fs, path, kMaxCatalogSize);
    if (!text.ok() && text.status().code() != ErrorCode::kNotFound) return text.status();
    auto after = fs->Stat(path);
    if (text.ok() && after.ok() && SameStat(*before, *after)) {
      ASSIGN_OR_RETURN(Catalog catalog, ParseCatalog(*text, path));
      auto snap = std::make_shared<const CatalogSnapshot>(
          std::move(catalog), *after, text->substr(0, std::min(text->size(), kHeaderBytes)), path);
      std::lock_guard<std::mutex> lock(mu_);
      parses_++;
      if (entries_.size() >= kMaxEntries && entries_.find(key) == entries_.end()) {
        settled_.erase(entries_.begin()->first);
        entries_.erase(entries_.begin());  // bounded: tests make many file systems
      }
      entries_[key] = snap;
      settled_.erase(key);
      return std::shared_ptr<const CatalogSnapshot>(std::move(snap));
    }
    if (attempt + 1 >= kLoadAttempts) {
      if (!text.ok()) return text.status();
      if (!after.ok()) return after.status();
      return IOErrorStatus(path + ": replaced while being read, " + std::to_string(kLoadAttempts) +
                           " times in a row");
    }
  }
}

Status CatalogCache::Prime(FileSystem* fs, const std::string& workdir, const Catalog& catalog) {
  const std::string path = CatalogPath(workdir);
  ASSIGN_OR_RETURN(FileStat st, fs->Stat(path));
  ASSIGN_OR_RETURN(std::string header, ReadHeader(fs, path, kHeaderBytes));
  // The header must carry this catalog's epoch and version ("catalogVersion": N).
  const size_t v = header.find("\"catalogVersion\"");
  size_t digits = v == std::string::npos ? std::string::npos : header.find(':', v);
  uint64_t version = 0;
  bool any = false;
  if (digits != std::string::npos) {
    digits++;
    while (digits < header.size() && header[digits] == ' ') digits++;
    for (; digits < header.size() && header[digits] >= '0' && header[digits] <= '9'; digits++) {
      version = version * 10 + static_cast<uint64_t>(header[digits] - '0');
      any = true;
    }
  }
  if (!any || version != catalog.version ||
      header.find("\"" + catalog.epoch + "\"") == std::string::npos) {
    return InternalErrorStatus(path + ": the file is not catalog version " +
                               std::to_string(catalog.version) + " of epoch " + catalog.epoch)
        .With("what", "cache primed with another catalog");
  }
  auto snap = std::make_shared<const CatalogSnapshot>(catalog, st, std::move(header), path);
  std::lock_guard<std::mutex> lock(mu_);
  const auto key = std::make_pair(fs, path);
  entries_[key] = std::move(snap);
  settled_.erase(key);
  return Status::Ok();
}

void CatalogCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  settled_.clear();
}

uint64_t CatalogCache::parses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parses_;
}

CatalogCache* CatalogCache::Process() {
  static auto* cache = new CatalogCache();  // never destroyed
  return cache;
}

}  // namespace shardtool
