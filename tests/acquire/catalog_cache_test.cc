// The process-wide catalog cache (doc/acquisition.md §7 "skip parsing if inode, size and mtime are
// unchanged"): hits parse nothing, any rewrite is seen, a rewrite that keeps the stat triple is
// caught by the header check, and acquisitions share one ownership filter per parsed catalog.
#include "acquire/catalog_cache.h"

#include <gtest/gtest.h>

#include "acquire/acquisition.h"
#include "acquire_env.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Env;
using testing::Versions;

TEST(CatalogCache, HitsDoNotParse) {
  Env env;
  CatalogCache cache;
  auto a = cache.Get(&env.fs, env.f.workdir);
  ASSERT_OK(a);
  EXPECT_EQ(cache.parses(), 1u);
  auto b = cache.Get(&env.fs, env.f.workdir);
  ASSERT_OK(b);
  EXPECT_EQ(cache.parses(), 1u);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->catalog(), env.f.catalog);
  // Lookups and derived data.
  const CatalogSnapshot& s = **a;
  EXPECT_EQ(s.FindCollection("main.posdb")->ns, "main.posdb");
  EXPECT_EQ(s.FindCollection("main.nosuch"), nullptr);
  EXPECT_EQ(s.FindCollectionByUuid(env.f.titledb().uuid)->ns, "main.titledb");
  EXPECT_EQ(s.FindView("main.recent")->view_on, "main.titledb");
  EXPECT_EQ(s.FindDatabase("main")->collnum, 0);
  const CollectionEntry& t = *s.FindCollection("main.titledb");
  EXPECT_EQ(s.CurrentVersion(t), CurrentShardVersion(env.f.catalog, env.f.titledb()));
  EXPECT_EQ(s.Filter(t).get(), s.Filter(t).get());
  EXPECT_EQ((*s.SlotOwners(t))[3], 1);
  EXPECT_EQ((*s.SlotOwners(t))[4], 0);
}

TEST(CatalogCache, RewritesAreSeen) {
  Env env;
  CatalogCache cache;
  ASSERT_OK(cache.Get(&env.fs, env.f.workdir));
  ASSERT_OK(env.MoveSlots(0, 0, 1));
  auto c = cache.Get(&env.fs, env.f.workdir);
  ASSERT_OK(c);
  EXPECT_EQ((*c)->version(), env.f.catalog.version + 1);
  EXPECT_EQ(cache.parses(), 2u);
}

TEST(CatalogCache, SameStatDifferentHeaderIsReparsed) {
  Env env;
  CatalogCache cache;
  const std::string path = CatalogPath(env.f.workdir);
  ASSERT_OK(cache.Get(&env.fs, env.f.workdir));
  // Another catalog version of the same size written in place at the same instant: inode, size
  // and mtime are unchanged (as inode reuse and coarse mtimes allow on a real file system).
  std::string text = env.fs.ReadAll(path);
  const auto before = *env.fs.Stat(path);
  const std::string from = "\"catalogVersion\": " + std::to_string(env.f.catalog.version);
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos);
  text[at + from.size() - 1] = '7';
  env.fs.WriteAll(path, text);
  const auto after = *env.fs.Stat(path);
  ASSERT_EQ(before.inode, after.inode);
  ASSERT_EQ(before.size, after.size);
  ASSERT_EQ(before.mtime_ns, after.mtime_ns);
  auto c = cache.Get(&env.fs, env.f.workdir);
  ASSERT_OK(c);
  EXPECT_EQ((*c)->version(), 7u);
  EXPECT_EQ(cache.parses(), 2u);
}

TEST(CatalogCache, WithoutCtimeTheHeaderIsAlwaysChecked) {
  // MemFileSystem keeps no ctime: even a settled stamp proves nothing, so an in-place rewrite
  // that keeps inode, size and mtime is still caught by the header.
  Env env;
  CatalogCache cache;
  const std::string path = CatalogPath(env.f.workdir);
  const auto before = *env.fs.Stat(path);
  const int64_t then = env.fs.NowMicros();
  env.fs.AdvanceMicros(CatalogCache::kSettledMicros + 1000000);
  ASSERT_OK(cache.Get(&env.fs, env.f.workdir));
  ASSERT_OK(cache.Get(&env.fs, env.f.workdir));  // a verified, settled hit
  std::string text = env.fs.ReadAll(path);
  const std::string from = "\"catalogVersion\": " + std::to_string(env.f.catalog.version);
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos);
  text[at + from.size() - 1] = '7';
  env.fs.SetNowMicros(before.mtime_ns / 1000);
  env.fs.WriteAll(path, text);
  env.fs.SetNowMicros(then + CatalogCache::kSettledMicros + 1000000);
  ASSERT_EQ(env.fs.Stat(path)->mtime_ns, before.mtime_ns);
  auto c = cache.Get(&env.fs, env.f.workdir);
  ASSERT_OK(c);
  EXPECT_EQ((*c)->version(), 7u);
}

TEST(CatalogCache, PrimeChecksTheHeader) {
  Env env;
  CatalogCache cache;
  ASSERT_OK(cache.Prime(&env.fs, env.f.workdir, env.f.catalog));
  ASSERT_OK(cache.Get(&env.fs, env.f.workdir));
  EXPECT_EQ(cache.parses(), 0u);
  Catalog other = env.f.catalog;
  other.version++;
  EXPECT_EQ(cache.Prime(&env.fs, env.f.workdir, other).code(), ErrorCode::kInternalError);
  cache.Clear();
  EXPECT_EQ(cache.Get(&env.fs, "/nowhere").status().code(), ErrorCode::kNotFound);
}

TEST(CatalogCache, AcquisitionsShareTheFilter) {
  Env env;
  auto ctx = env.p->Context();
  auto r = AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV()));
  auto a = ctx->AcquireCollection(r);
  auto b = ctx->AcquireCollectionMaybeLockFree(r);
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(*a->ownership_filter(), *b->ownership_filter());
  EXPECT_EQ(&(*a->sharding())->chunks(), &(*b->sharding())->chunks());
}

}  // namespace
}  // namespace shardtool
