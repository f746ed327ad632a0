#include "acquire/dir_cache.h"

namespace shardtool {

Result<DirCache::ListingPtr> DirCache::List(FileSystem* fs, const std::string& dir) {
  // The stamp before the listing: a change between the two makes the stamp stale, never the
  // listing older than its stamp.
  ASSIGN_OR_RETURN(FileStat stamp, fs->Stat(dir));
  const auto key = std::make_pair(fs, dir);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && SameStamp(it->second.stamp, stamp)) {
      it->second.used = ++clock_;
      return it->second.listing;
    }
  }
  const int64_t now = fs->NowMicros();
  ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(dir));
  auto listing = std::make_shared<Listing>();
  listing->sizes.assign(entries.size(), -1);
  listing->entries = std::move(entries);
  std::lock_guard<std::mutex> lock(mu_);
  listings_++;
  if (!StampSettled(stamp, now, kSettledMicros)) {
    entries_.erase(key);  // racy: listed again next time
    return ListingPtr(std::move(listing));
  }
  if (entries_.size() >= kMaxEntries && entries_.count(key) == 0) {
    auto oldest = entries_.begin();
    for (auto i = entries_.begin(); i != entries_.end(); ++i) {
      if (i->second.used < oldest->second.used) oldest = i;
    }
    entries_.erase(oldest);
  }
  entries_[key] = Cached{stamp, listing, ++clock_};
  return ListingPtr(std::move(listing));
}

void DirCache::TrustSizes(FileSystem* fs, const std::string& dir, const ListingPtr& listing,
                          const std::vector<std::pair<size_t, uint64_t>>& sizes) {
  if (sizes.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(std::make_pair(fs, dir));
  if (it == entries_.end() || it->second.listing != listing) return;
  auto copy = std::make_shared<Listing>(*listing);
  for (const auto& [i, size] : sizes) {
    if (i < copy->sizes.size()) copy->sizes[i] = static_cast<int64_t>(size);
  }
  it->second.listing = std::move(copy);
}

void DirCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

uint64_t DirCache::listings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return listings_;
}

DirCache* DirCache::Process() {
  static auto* cache = new DirCache();
  return cache;
}

}  // namespace shardtool
