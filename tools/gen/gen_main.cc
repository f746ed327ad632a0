// shardtool-gen: writes a sample Gigablast cluster for demos, tests and benchmarks (see
// sample_cluster.h and man/shardtool-gen.1). Not an operator tool.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "format/rdb_registry.h"
#include "gen/drop_record.h"
#include "gen/sample_cluster.h"
#include "io/atomic_file.h"

using shardtool::gen::GenOptions;

int main(int argc, char** argv) {
  GenOptions o;
  std::string rdbs = "titledb,posdb,indexdb,clusterdb";
  CLI::App app{"shardtool-gen: write a sample Gigablast cluster (demo, test and benchmark data)"};
  app.add_option(
      "--out", o.out,
      "output dir: hosts.conf and host<i>/ working dirs (required without a subcommand)");
  app.add_option("--hosts", o.hosts_file,
                 "use this hosts.conf's working dirs instead of writing one");
  app.add_option("--shards", o.shards, "number of shards (default 4)");
  app.add_option("--mirrors", o.mirrors, "num-mirrors: extra hosts per shard (default 1)");
  app.add_option("--db", o.db, "collection (shardtool database) name (default main)");
  app.add_option("--collnum", o.collnum, "collection number (default 0)");
  app.add_option("--docs", o.docs, "documents (default 2000)");
  app.add_option("--files", o.files, "data files per Rdb (default 3)");
  app.add_option("--rdbs", rdbs, "comma-separated Rdbs (default titledb,posdb,indexdb,clusterdb)");
  app.add_option("--seed", o.seed, "random seed (default 1)");
  app.add_option("--negatives", o.negatives,
                 "fraction of documents deleted in a later file (default 0.05)");
  app.add_option("--part-size", o.part_size, "part size in bytes (default 2013265920)");
  app.add_option("--words", o.words_per_doc, "average posdb positions per document (default 150)");
  app.add_option("--page-bytes", o.page_bytes,
                 "average titledb page size before compression (default 12000)");
  app.add_option("--page-variety", o.page_variety,
                 "reuse N distinct pages (0 = all unique; faster for big data)");
  app.add_option("--misplace-host", o.misplace_host, "plant misplaced records on this host id");
  app.add_option("--misplace-rate", o.misplace_rate,
                 "fraction of other shards' records planted there");
  app.add_option("--memory", o.memory, "key-generation memory budget in bytes (default 256 MiB)");
  app.add_flag("!--no-sidecars", o.sidecars, "do not write .crc checksum sidecars");
  std::string drop_file;
  int64_t drop_index = -1;
  CLI::App* drop = app.add_subcommand(
      "drop-record", "rewrite one data file without one record (byte-correct: data, map, sidecar)");
  drop->add_option("file", drop_file, "the data file, e.g. host3/coll.main.0/posdb0005.dat")
      ->required();
  drop->add_option("--index", drop_index,
                   "the record to drop, 0-based in file order (default: the middle positive one)");
  CLI11_PARSE(app, argc, argv);
  if (drop->parsed()) {
    const std::filesystem::path p(drop_file);
    auto dropped = shardtool::gen::DropRecord(shardtool::PosixFS(), p.parent_path().string(),
                                              p.filename().string(), drop_index);
    if (!dropped.ok()) {
      std::cerr << "error: " << dropped.status().name() << ": " << dropped.status().message()
                << "\n";
      return dropped.status().exit_status();
    }
    std::cout << nlohmann::json{{"file", drop_file},
                                {"dropped_key", dropped->key},
                                {"records", dropped->records}}
                     .dump()
              << "\n";
    return 0;
  }
  if (o.out.empty()) {
    std::cerr << "error: --out is required\n";
    return 2;
  }

  o.rdbs.clear();
  std::stringstream ss(rdbs);
  for (std::string r; std::getline(ss, r, ',');) {
    if (!r.empty()) o.rdbs.push_back(r);
  }
  std::error_code ec;
  o.out = std::filesystem::absolute(o.out, ec).lexically_normal().string();
  if (!o.out.empty() && o.out.back() == '/') o.out.pop_back();

  shardtool::gen::GenReport report;
  shardtool::Status s = shardtool::gen::GenerateCluster(shardtool::PosixFS(), o, &report);
  if (!s.ok()) {
    std::cerr << "error: " << s.name() << ": " << s.message() << "\n";
    return s.exit_status();
  }
  nlohmann::ordered_json m;
  m["schema_version"] = 1;
  m["generator"] = "shardtool-gen";
  m["seed"] = o.seed;
  m["docs"] = o.docs;
  m["num_shards"] = report.hosts.num_shards;
  m["num_mirrors"] = report.hosts.num_mirrors;
  m["database"] = o.db;
  m["collnum"] = o.collnum;
  m["hosts"] = nlohmann::ordered_json::array();
  for (const auto& h : report.hosts.hosts) {
    m["hosts"].push_back({{"id", h.id}, {"shard", h.shard}, {"workdir", h.workdir}});
  }
  m["files"] = nlohmann::ordered_json::array();
  for (const auto& f : report.files) {
    nlohmann::ordered_json mis = nlohmann::ordered_json::object();
    for (size_t s2 = 0; s2 < f.misplaced_by_shard.size(); s2++) {
      if (f.misplaced_by_shard[s2]) mis[std::to_string(s2)] = f.misplaced_by_shard[s2];
    }
    m["files"].push_back({{"host", f.host},
                          {"file", f.file},
                          {"rdb", f.rdb},
                          {"records", f.records},
                          {"negatives", f.negatives},
                          {"bytes", f.bytes},
                          {"misplaced_by_shard", mis}});
  }
  const std::string manifest = shardtool::JoinPath(o.out, "gen-manifest.json");
  s = shardtool::PosixFS()->CreateDirs(o.out);
  if (s.ok()) s = shardtool::WriteFileAtomically(shardtool::PosixFS(), manifest, m.dump(2) + "\n");
  if (!s.ok()) {
    std::cerr << "error: " << s.name() << ": " << s.message() << "\n";
    return s.exit_status();
  }
  std::cout << "wrote " << report.files.size() << " data files (" << report.bytes << " bytes) for "
            << report.hosts.hosts.size() << " hosts in " << o.out << "\n";
  return 0;
}
