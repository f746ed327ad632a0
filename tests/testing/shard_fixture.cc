#include "testing/shard_fixture.h"

#include <mutex>
#include <tuple>

#include "catalog/catalog_admin.h"
#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "io/mem_file_system.h"

namespace shardtool::testing {

HostsConf FixtureHostsConf(const std::string& cluster_dir, int num_hosts, int num_mirrors) {
  HostsConf conf;
  conf.num_mirrors = num_mirrors;
  conf.num_shards = num_hosts / (num_mirrors + 1);
  for (int i = 0; i < num_hosts; i++) {
    HostEntry h;
    h.id = i;
    h.shard = i % conf.num_shards;
    h.dns_port = 5000 + i;
    h.https_port = 7000 + i;
    h.http_port = 8000 + i;
    h.udp_port = 9000 + i;
    h.ip1 = h.ip2 = "10.0.0." + std::to_string(i + 1);
    h.workdir = cluster_dir + "/host" + std::to_string(i);
    conf.hosts.push_back(h);
  }
  return conf;
}

Status WriteDataFile(FileSystem* fs, const std::string& dir, const RdbInfo& rdb, int32_t id,
                     const std::vector<TestRecord>& records) {
  RETURN_IF_ERROR(fs->CreateDirs(dir));
  DataFileWriter w(fs, dir, DataName(rdb.name, id, rdb.titledb_naming), MapName(rdb.name, id),
                   CrcName(rdb.name, id), rdb, DataFileWriter::Options{});
  RETURN_IF_ERROR(w.Open());
  for (const TestRecord& r : records) {
    RETURN_IF_ERROR(w.Add(r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                          static_cast<uint32_t>(r.data.size())));
  }
  return w.Finish();
}

Result<FixtureF> MakeFixtureF(FileSystem* fs, const FixtureOptions& options) {
  FixtureF f;
  f.hosts = FixtureHostsConf(options.cluster_dir);
  if (options.host_id < 0 || static_cast<size_t>(options.host_id) >= f.hosts.hosts.size()) {
    return InternalErrorStatus("fixture: bad host id");
  }
  f.workdir = f.hosts.hosts[static_cast<size_t>(options.host_id)].workdir;
  f.coll_dir = JoinPath(f.workdir, "coll.main.0");
  RETURN_IF_ERROR(fs->CreateDirs(f.coll_dir));
  {
    ASSIGN_OR_RETURN(auto file,
                     fs->OpenForWrite(JoinPath(f.workdir, "hosts.conf"), WriteMode::kTruncate));
    RETURN_IF_ERROR(file->Append(FormatHostsConf(f.hosts)));
    RETURN_IF_ERROR(file->Sync());
    RETURN_IF_ERROR(file->Close());
    RETURN_IF_ERROR(fs->SyncDir(f.workdir));
  }
  RandomListOptions ro;
  ro.num_hi = 1000;  // spread the keys over many slots
  ro.max_data_size = 32;
  struct Planned {
    RdbId rdb;
    int32_t id;
    uint64_t seed;
  };
  const Planned planned[] = {{RdbId::kTitledb, 1, 11},
                             {RdbId::kTitledb, 3, 13},
                             {RdbId::kPosdb, 1, 21},
                             {RdbId::kDoledb, 1, 31}};
  for (const Planned& p : planned) {
    const RdbInfo& rdb = GetRdb(p.rdb);
    std::vector<TestRecord> recs = RandomRecords(rdb, options.records_per_file, p.seed, ro);
    RETURN_IF_ERROR(WriteDataFile(fs, f.coll_dir, rdb, p.id, recs));
    f.records[DataName(rdb.name, p.id, rdb.titledb_naming)] = std::move(recs);
  }
  RETURN_IF_ERROR(fs->SyncDir(f.coll_dir));
  f.uuids = CountingUuidGenerator(options.uuid_seed);
  if (!options.init) return f;

  AdminOptions admin;
  admin.uuids = f.uuids;
  InitArgs init;
  init.host_id = options.host_id;
  ASSIGN_OR_RETURN(AdminResult r, RunInit(fs, f.workdir, init, admin));
  f.catalog = std::move(r.catalog);
  if (options.create_view) {
    CreateViewRequest v;
    v.ns = "main.recent";
    v.view_on = "main.titledb";
    v.key_min = "000000000000000000000000";
    v.key_max = "7fffffffffffffffffffffff";
    ASSIGN_OR_RETURN(AdminResult rv, RunCreateView(fs, f.workdir, v, admin));
    f.catalog = std::move(rv.catalog);
  }
  return f;
}

namespace {

struct Built {
  FixtureF fixture;
  uint64_t uuids_drawn = 0;
  std::vector<std::pair<std::string, std::string>> files;  // path, contents
  std::vector<std::string> dirs;
};

}  // namespace

Result<FixtureF> CopyOfFixtureF(FileSystem* fs, const FixtureOptions& options) {
  static std::mutex mu;
  static auto* built =
      new std::map<std::tuple<std::string, int32_t, uint64_t, size_t, bool, bool>, Built>();
  const auto key = std::make_tuple(options.cluster_dir, options.host_id, options.uuid_seed,
                                   options.records_per_file, options.init, options.create_view);
  Built b;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = built->find(key);
    if (it == built->end()) {
      MemFileSystem mem;
      uint64_t drawn = 0;
      ASSIGN_OR_RETURN(FixtureF f, MakeFixtureF(&mem, options));
      // Count the UUIDs drawn, to continue the sequence in copies.
      UuidGenerator probe = CountingUuidGenerator(options.uuid_seed);
      const std::string next = f.uuids();
      for (drawn = 0; probe() != next; drawn++) {
      }
      Built nb;
      nb.fixture = std::move(f);
      nb.uuids_drawn = drawn;
      for (const std::string& p : mem.ListRecursive()) {
        if (!p.empty() && p.back() == '/') {
          nb.dirs.push_back(p.substr(0, p.size() - 1));
        } else {
          nb.files.emplace_back(p, mem.ReadAll(p));
        }
      }
      it = built->emplace(key, std::move(nb)).first;
    }
    b = it->second;
  }
  for (const std::string& d : b.dirs) RETURN_IF_ERROR(fs->CreateDirs(d));
  for (const auto& [path, contents] : b.files) {
    ASSIGN_OR_RETURN(auto file, fs->OpenForWrite(path, WriteMode::kTruncate));
    RETURN_IF_ERROR(file->Append(contents));
    RETURN_IF_ERROR(file->Sync());
    RETURN_IF_ERROR(file->Close());
  }
  for (const std::string& d : b.dirs) RETURN_IF_ERROR(fs->SyncDir(d));
  FixtureF f = std::move(b.fixture);
  f.uuids = CountingUuidGenerator(options.uuid_seed);
  for (uint64_t i = 0; i < b.uuids_drawn; i++) f.uuids();
  return f;
}

}  // namespace shardtool::testing
