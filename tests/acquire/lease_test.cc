// Leases (doc/acquisition.md §6): the document, atomic writes, liveness and reaping (SR48's library
// part with scripted processes and hosts), the keeper's refreshes and heartbeat, ProcessInfo.
#include "acquire/lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "acquire/lease_keeper.h"
#include "acquire/process_info.h"
#include "catalog/state_paths.h"
#include "io/mem_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

constexpr char kUuid[] = "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab";

Lease Sample(ProcessInfo* p, int64_t now) {
  Lease l = NewLease(p, now);
  l.job = "verify";
  l.ns = "main.titledb";
  l.uuid = kUuid;
  l.catalog_epoch = "1b1e8a40-5a9c-4d2b-9c1e-0123456789ab";
  l.catalog_version = 7;
  l.generation = CollectionGeneration{"2b1e8a40-5a9c-4d2b-9c1e-0123456789ab", 1};
  l.version = "2b1e8a40-5a9c-4d2b-9c1e-0123456789ab/1/1|0";
  l.owned_slots = MakeSlotList({{0, 1}, {2, 3}});
  l.files = {"titledb0001-000.dat", "titledb0003-000.dat"};
  return l;
}

TEST(Lease, SerializeParseRoundTrip) {
  FakeProcessInfo p("hostA", 100, 5000);
  Lease l = Sample(&p, 1700000000);
  EXPECT_EQ(l.pid, 100);
  EXPECT_EQ(l.proc_start, 5000u);
  EXPECT_EQ(l.expires_at, 1700000000 + kLeaseTtlSeconds);
  auto back = ParseLease(SerializeLease(l), "x");
  ASSERT_OK(back);
  EXPECT_EQ(*back, l);
  l.owned_slots.reset();  // "all"
  l.version.reset();
  l.generation.reset();
  l.stashed = "verify.main.json";
  const std::string text = SerializeLease(l);
  EXPECT_NE(text.find("\"ownedSlots\":\"all\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"version\":null"), std::string::npos) << text;
  back = ParseLease(text, "x");
  ASSERT_OK(back);
  EXPECT_EQ(*back, l);
  EXPECT_EQ(ParseLease("{", "x").status().code(), ErrorCode::kCorruptCatalog);
  EXPECT_EQ(ParseLease("{\"pid\": 1}", "x").status().code(), ErrorCode::kCorruptCatalog);
}

// The compact periodic ownedSlots form (slot_list.h): exact, chosen only when it reproduces the
// ranges, and read back to the same SlotList; the array form is still read.
TEST(Lease, PeriodicOwnedSlotsRoundTrip) {
  FakeProcessInfo p("hostA", 100, 5000);
  auto every = [](int32_t from, int32_t step, int32_t width, int32_t to) {
    std::vector<SlotRange> r;
    for (int32_t s = from; s < to; s += step) r.push_back({s, std::min(s + width, to)});
    return r;
  };
  const std::vector<std::vector<SlotRange>> cases = {
      every(0, 2, 1, 8192),    // shard 0 of 2: 4096 runs
      every(1, 2, 1, 8192),    // shard 1 of 2
      every(2, 3, 1, 8192),    // shard 2 of 3
      every(100, 7, 3, 5000),  // an offset start and a cut end
      every(0, 5, 4, 8192),    // the last run cut by 8192
  };
  for (const auto& ranges : cases) {
    Lease l = Sample(&p, 1700000000);
    l.owned_slots = MakeSlotList(ranges);
    const std::string text = SerializeLease(l);
    EXPECT_LT(text.size(), 700u) << text.substr(0, 300);
    EXPECT_NE(text.find("\"every\""), std::string::npos);
    auto back = ParseLease(text, "x");
    ASSERT_OK(back);
    EXPECT_EQ(back->owned_slots->ranges(), ranges);
    EXPECT_EQ(*back, l);
  }
  // Two runs per period (slots 0,1 | 4,5 | ... and 2 of every 4): the pattern has 2 runs.
  std::vector<SlotRange> two;
  for (int32_t s = 0; s < 64; s += 8) {
    two.push_back({s, s + 2});
    two.push_back({s + 5, s + 6});
  }
  EXPECT_NE(SlotList(two).json().find("\"runs\":[[0,2],[5,6]]"), std::string::npos)
      << SlotList(two).json();
  // Irregular and short lists keep the array form.
  EXPECT_EQ(SlotList({{0, 1}, {2, 3}}).json(), "[[0,1],[2,3]]");
  const std::vector<SlotRange> irregular = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {9, 10}};
  EXPECT_EQ(SlotList(irregular).json(), "[[0,1],[2,3],[4,5],[6,7],[9,10]]");
  // Hand-written forms.
  Lease l = Sample(&p, 0);
  l.owned_slots.reset();
  std::string base = SerializeLease(l);
  auto with = [&](const std::string& slots) {
    std::string t = base;
    t.replace(t.find("\"all\""), 5, slots);
    return ParseLease(t, "/w/l.json");
  };
  auto old = with("[[0, 1], [4, 8192]]");
  ASSERT_OK(old);
  EXPECT_EQ(old->owned_slots->ranges(), (std::vector<SlotRange>{{0, 1}, {4, 8192}}));
  auto joined = with(R"({"from": 0, "every": 4, "runs": [[0, 2], [2, 4]], "to": 16})");
  ASSERT_OK(joined);
  EXPECT_EQ(joined->owned_slots->ranges(), (std::vector<SlotRange>{{0, 16}}));
  EXPECT_TRUE(joined->OwnsAnyOf({{15, 16}}));
  for (const char* bad : {R"({"from": 0, "every": 0, "runs": [[0, 1]], "to": 8})",
                          R"({"from": 0, "every": 2, "runs": [[0, 3]], "to": 8})",
                          R"({"from": 0, "every": 4, "runs": [[2, 3], [0, 1]], "to": 8})",
                          R"({"from": 0, "every": 2, "runs": [], "to": 8})",
                          R"({"from": 0, "every": 2, "runs": [[0, 1]], "to": 9000})",
                          R"({"from": 8, "every": 2, "runs": [[0, 1]], "to": 8})",
                          R"({"every": 2, "runs": [[0, 1]], "to": 8})", R"("some")"}) {
    auto r = with(bad);
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptCatalog) << bad;
    EXPECT_NE(r.status().message().find("/w/l.json"), std::string::npos) << bad;
  }
}

TEST(Lease, OverlapAndFiles) {
  FakeProcessInfo p("hostA", 100, 5000);
  Lease l = Sample(&p, 0);
  EXPECT_TRUE(l.OwnsAnyOf({{2, 5}}));
  EXPECT_FALSE(l.OwnsAnyOf({{1, 2}, {3, 8192}}));
  l.owned_slots.reset();
  EXPECT_TRUE(l.OwnsAnyOf({{8191, 8192}}));
  EXPECT_FALSE(l.OwnsAnyOf({}));
  EXPECT_TRUE(l.ListsFile("titledb0003-000.dat"));
  EXPECT_FALSE(l.ListsFile("titledb0005-000.dat"));
}

TEST(Lease, WriteListRemove) {
  MemFileSystem fs;
  FakeProcessInfo p("host.a", 100, 5000);
  LeaseStore store(&fs, "/w", &p);
  const std::string name = store.NewName();
  EXPECT_EQ(name, "host.a-100-0000000000000001.json");
  Lease l = Sample(&p, store.NowSeconds());
  ASSERT_OK(store.Write(kUuid, name, l));
  EXPECT_EQ(store.PathOf(kUuid, name), LeasesDir("/w", kUuid) + "/" + name);
  // A writer in flight: its temporary is not a lease.
  fs.WriteAll(store.PathOf(kUuid, "host.a-100-00000000000000ff.json.tmp"), "{");
  auto list = store.List(kUuid);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, name);
  EXPECT_EQ(*(*list)[0].lease, l);
  // Rewrite only while present.
  l.heartbeat_at++;
  ASSERT_OK(store.Rewrite(kUuid, name, l));
  EXPECT_EQ(store.Read(kUuid, name)->heartbeat_at, l.heartbeat_at);
  ASSERT_OK(store.Remove(kUuid, name));
  EXPECT_OK(store.Remove(kUuid, name));  // already gone
  EXPECT_EQ(store.Rewrite(kUuid, name, l).code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs.Exists(store.PathOf(kUuid, name)));
  EXPECT_TRUE(store.List("1b1e8a40-5a9c-4d2b-9c1e-0123456789ab")->empty());  // no dir
}

TEST(Lease, SR48_StalenessAndReaping) {
  MemFileSystem fs;
  FakeProcessInfo me("hostA", 100, 5000);
  me.SetProcess(200, 6000);
  LeaseStore store(&fs, "/w", &me);
  const int64_t now = store.NowSeconds();
  auto write = [&](const std::string& name, int64_t pid, uint64_t start, const std::string& host,
                   int64_t expires) {
    Lease l = Sample(&me, now);
    l.pid = pid;
    l.proc_start = start;
    l.host = host;
    l.expires_at = expires;
    ASSERT_OK(store.Write(kUuid, name, l));
  };
  write("live.json", 200, 6000, "hostA", now + 60);
  write("dead.json", 300, 7000, "hostA", now + 60);              // pid gone (kill -9)
  write("reused.json", 200, 9999, "hostA", now + 60);            // live pid, another procStart
  write("remote.json", 300, 7000, "hostB", now + 60);            // another host: only expiry counts
  write("expired.json", 200, 6000, "hostA", now - 1);            // expiresAt passed
  write("stashed.json", 0, 0, "hostA", now + 900);               // stashed: pid 0
  fs.WriteAll(store.PathOf(kUuid, "garbage.json"), "not json");  // unreadable, recent
  auto live = store.Live(kUuid, /*reap=*/true);
  ASSERT_OK(live);
  std::vector<std::string> names;
  for (const LeaseFile& f : *live) names.push_back(f.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"garbage.json", "live.json", "remote.json", "stashed.json"}));
  EXPECT_FALSE(fs.Exists(store.PathOf(kUuid, "dead.json")));
  EXPECT_FALSE(fs.Exists(store.PathOf(kUuid, "reused.json")));
  EXPECT_FALSE(fs.Exists(store.PathOf(kUuid, "expired.json")));
  // Later: the other host's lease and the stashed one expire, and so does the garbage (and the
  // live one, which its holder did not refresh).
  fs.AdvanceMicros((kStashTtlSeconds + kLeaseTtlSeconds + 2) * 1000000);
  me.SetProcess(200, 6000);
  live = store.Live(kUuid, true);
  ASSERT_OK(live);
  names.clear();
  for (const LeaseFile& f : *live) names.push_back(f.name);
  EXPECT_TRUE(names.empty());
  // Not reaping leaves the files.
  write("dead2.json", 300, 7000, "hostA", store.NowSeconds() + 60);
  EXPECT_TRUE(store.Live(kUuid, false)->empty());
  EXPECT_TRUE(fs.Exists(store.PathOf(kUuid, "dead2.json")));
}

TEST(Lease, ReaperRemovesDeadWritersTemporaries) {
  MemFileSystem fs;
  FakeProcessInfo me("hostA", 100, 5000);
  LeaseStore store(&fs, "/w", &me);
  fs.WriteAll(store.PathOf(kUuid, "hostA-300-00000000000000ff.json.tmp"), "{");  // dead writer
  fs.WriteAll(store.PathOf(kUuid, "hostA-100-00000000000000fe.json.tmp"), "{");  // me
  fs.WriteAll(store.PathOf(kUuid, "hostB-300-00000000000000fd.json.tmp"), "{");  // other host
  ASSERT_OK(store.Live(kUuid, true));
  EXPECT_FALSE(fs.Exists(store.PathOf(kUuid, "hostA-300-00000000000000ff.json.tmp")));
  EXPECT_TRUE(fs.Exists(store.PathOf(kUuid, "hostA-100-00000000000000fe.json.tmp")));
  EXPECT_TRUE(fs.Exists(store.PathOf(kUuid, "hostB-300-00000000000000fd.json.tmp")));
}

TEST(LeaseKeeper, RefreshesAndMarksLostLeases) {
  MemFileSystem fs;
  FakeProcessInfo me("hostA", 100, 5000);
  LeaseStore store(&fs, "/w", &me);
  LeaseKeeper keeper;
  Lease l = Sample(&me, store.NowSeconds());
  ASSERT_OK(store.Write(kUuid, "a.json", l));
  const uint64_t id = keeper.Register(store, kUuid, "a.json", l);
  fs.AdvanceMicros(500000);
  ASSERT_OK(keeper.Refresh(id, /*min_interval_micros=*/1000000));  // too soon: skipped
  EXPECT_EQ(store.Read(kUuid, "a.json")->heartbeat_at, l.heartbeat_at);
  fs.AdvanceMicros(10000000);
  keeper.RefreshAll();
  auto r = store.Read(kUuid, "a.json");
  EXPECT_EQ(r->heartbeat_at, l.heartbeat_at + 10);
  EXPECT_EQ(r->expires_at, r->heartbeat_at + kLeaseTtlSeconds);
  EXPECT_EQ(r->created_at, l.created_at);
  EXPECT_FALSE(keeper.IsLost(id));
  // Gone (reaped): lost, not resurrected.
  ASSERT_OK(store.Remove(kUuid, "a.json"));
  EXPECT_EQ(keeper.Refresh(id).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(keeper.IsLost(id));
  EXPECT_FALSE(fs.Exists(store.PathOf(kUuid, "a.json")));
  // Expired before its refresh: lost, not rewritten.
  ASSERT_OK(store.Write(kUuid, "b.json", l));
  const uint64_t id2 = keeper.Register(store, kUuid, "b.json", *store.Read(kUuid, "b.json"));
  fs.AdvanceMicros((kLeaseTtlSeconds + 5) * 1000000);
  EXPECT_EQ(keeper.Refresh(id2).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(keeper.IsLost(id2));
  EXPECT_EQ(store.Read(kUuid, "b.json")->heartbeat_at, l.heartbeat_at);
  keeper.Unregister(id);
  keeper.Unregister(id2);
  EXPECT_EQ(keeper.size(), 0u);
}

TEST(LeaseKeeper, HeartbeatThreadRefreshes) {
  MemFileSystem fs;
  FakeProcessInfo me("hostA", 100, 5000);
  LeaseStore store(&fs, "/w", &me);
  Lease l = Sample(&me, store.NowSeconds());
  ASSERT_OK(store.Write(kUuid, "a.json", l));
  LeaseKeeper keeper;
  keeper.Register(store, kUuid, "a.json", l);
  fs.AdvanceMicros(30000000);
  keeper.StartHeartbeat(/*interval_ms=*/5);
  bool refreshed = false;
  for (int i = 0; i < 400 && !refreshed; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    refreshed = keeper.Get(1)->heartbeat_at == l.heartbeat_at + 30;
  }
  EXPECT_TRUE(refreshed);
  EXPECT_EQ(store.Read(kUuid, "a.json")->heartbeat_at, l.heartbeat_at + 30);
}  // ~LeaseKeeper stops the thread

TEST(ProcessInfo, ProcStatField22) {
  EXPECT_EQ(ParseProcStatStartTime("1234 (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
                                   "424242 20 21\n"),
            424242u);
  // A command with spaces and parentheses.
  EXPECT_EQ(ParseProcStatStartTime("1 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
                                   "77 20"),
            77u);
  EXPECT_FALSE(ParseProcStatStartTime("1 (x) S 1 2 3").has_value());
  EXPECT_FALSE(ParseProcStatStartTime("garbage").has_value());
  ProcessInfo* sys = SystemProcessInfo();
  EXPECT_EQ(sys->Pid(), static_cast<int64_t>(getpid()));
  auto start = sys->ProcStart(sys->Pid());
  ASSERT_TRUE(start.has_value());
  EXPECT_GT(*start, 0u);
  EXPECT_EQ(sys->ProcStart(sys->Pid()), start);
  EXPECT_FALSE(sys->ProcStart(0).has_value());
  EXPECT_FALSE(sys->HostName().empty());
  EXPECT_NE(sys->Nonce(), sys->Nonce());
}

}  // namespace
}  // namespace shardtool
