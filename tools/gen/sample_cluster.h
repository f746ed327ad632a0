// The sample-data generator behind `shardtool-gen` (a tool for demos, tests and benchmarks, not
// part of shardtool proper). From a cluster layout (a hosts.conf, or shards x mirrors) it writes
// every host's coll.<db>.<collnum>/ with titledb records (zlib-compressed HTML-like pages),
// posdb, indexdb and clusterdb keys for the same documents, several files per Rdb with
// overlapping key ranges and tombstones (negatives in later files for documents of earlier ones),
// parts when a small part size is asked. Deterministic by seed; every record lands on its owning
// shard (all mirrors of it) unless misplaced records are planted on one host. Writes stream: memory
// stays bounded (posdb and indexdb keys are generated in termId slices).
//
// It also writes gen-manifest.json: per host and file, the records written and, for planted
// misplaced records, their count by owning shard, so tests can check verify against it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/hosts_conf.h"
#include "io/file_system.h"

namespace shardtool::gen {

struct GenOptions {
  std::string out;         // output dir: hosts.conf (unless hosts_file) and host<i>/ dirs
  std::string hosts_file;  // use this hosts.conf's workdirs instead of writing one
  int shards = 4;
  int mirrors = 1;  // num-mirrors: extra copies of each shard
  std::string db = "main";
  int collnum = 0;
  uint64_t docs = 2000;
  int files = 3;  // data files per Rdb (ids 1, 3, 5, ...)
  std::vector<std::string> rdbs = {"titledb", "posdb", "indexdb", "clusterdb"};
  uint64_t seed = 1;
  double negatives = 0.05;  // fraction of documents deleted by a tombstone in a later file
  uint64_t part_size = 2013265920ULL;
  int words_per_doc = 150;   // average posdb positions per document
  int page_bytes = 12000;    // average uncompressed titledb page size
  int page_variety = 0;      // 0: every page unique; N: reuse N distinct pages (fast, for benches)
  int misplace_host = -1;    // plant misplaced records on this host id
  double misplace_rate = 0;  // fraction of other shards' records planted there
  uint64_t memory = 256ULL << 20;  // key-generation budget
  bool sidecars = true;
};

struct GenFileStats {
  int host = 0;
  std::string file;  // relative to the host's workdir
  std::string rdb;
  uint64_t records = 0, negatives = 0, bytes = 0;
  std::vector<uint64_t> misplaced_by_shard;  // planted records by owning shard
};

struct GenReport {
  HostsConf hosts;
  std::vector<GenFileStats> files;
  uint64_t bytes = 0;
};

Status GenerateCluster(FileSystem* fs, const GenOptions& opt, GenReport* report);

}  // namespace shardtool::gen
