// Fixture F of doc/acquisition.md §9, reusable by the catalog, acquire and jobs tests.
//
// A cluster of 4 hosts with 1 mirror (2 shards; hosts 0 and 2 are shard 0, hosts 1 and 3 shard 1)
// whose hosts.conf sits in this host's working dir, and in that working dir database `main`
// (coll.main.0/) with small real data files written by DataFileWriter (map and sidecar included):
//   titledb0001-000.dat, titledb0003-000.dat   main.titledb (sharded)
//   posdb0001.dat                              main.posdb   (sharded)
//   doledb0001.dat                             main.doledb  (not sharded)
// then `init --host-id <host_id>` (catalogVersion 1, default chunks "1|0", so titledb's version is
// G/1|0 with G its generation) and the view main.recent on main.titledb (catalogVersion 2, main's
// dbVersion lastMod 2). UUIDs come from a CountingUuidGenerator(uuid_seed), the time from the file
// system's clock, so two fixtures with the same options are byte-identical.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/uuid.h"
#include "format/hosts_conf.h"
#include "format/rdb_registry.h"
#include "io/file_system.h"
#include "testing/record_lists.h"

namespace shardtool::testing {

struct FixtureOptions {
  // Host i's working dir is "<cluster_dir>/host<i>"; the fixture's is host_id's. Absolute.
  std::string cluster_dir = "/cluster";
  int32_t host_id = 0;
  uint64_t uuid_seed = 1;
  size_t records_per_file = 40;
  bool init = true;         // run init (else only hosts.conf and the files)
  bool create_view = true;  // create main.recent (needs init)
};

struct FixtureF {
  std::string workdir;
  std::string coll_dir;  // workdir + "/coll.main.0"
  HostsConf hosts;
  Catalog catalog;  // as on disk after the fixture's steps (empty when !init)
  // Records written, by data file name ("titledb0001-000.dat"), in key order.
  std::map<std::string, std::vector<TestRecord>> records;
  UuidGenerator uuids;  // the generator the fixture used, to keep using it

  const CollectionEntry& titledb() const { return *catalog.FindCollection("main.titledb"); }
  const CollectionEntry& posdb() const { return *catalog.FindCollection("main.posdb"); }
  const CollectionEntry& doledb() const { return *catalog.FindCollection("main.doledb"); }
  const DatabaseEntry& main() const { return *catalog.FindDatabase("main"); }
};

// The hosts.conf of fixture F: 4 hosts, num-mirrors 1, workdirs <cluster_dir>/host<i>.
HostsConf FixtureHostsConf(const std::string& cluster_dir, int num_hosts = 4, int num_mirrors = 1);

// Writes one data file (data, map, sidecar) of `rdb` with id `id` into dir.
Status WriteDataFile(FileSystem* fs, const std::string& dir, const RdbInfo& rdb, int32_t id,
                     const std::vector<TestRecord>& records);

// Builds fixture F on `fs` (see the comment atop this file).
Result<FixtureF> MakeFixtureF(FileSystem* fs, const FixtureOptions& options = {});

// The same fixture, built once per options in this process (on a private MemFileSystem) and then
// copied file by file into `fs` (synced, directories too). Same bytes as MakeFixtureF; much
// faster when many tests need F (the catalog of F has 8192 chunks per sharded collection). The
// generator in the result continues after the fixture's UUIDs as MakeFixtureF's would.
Result<FixtureF> CopyOfFixtureF(FileSystem* fs, const FixtureOptions& options = {});

}  // namespace shardtool::testing
