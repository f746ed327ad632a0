#include "jobs/merge/merge_journal.h"

#include <nlohmann/json.hpp>

#include "catalog/state_json.h"
#include "catalog/state_paths.h"
#include "io/atomic_file.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

Json RangesJson(const std::vector<SlotRange>& ranges) {
  Json a = Json::array();
  for (const SlotRange& r : ranges) a.push_back({r.min, r.max});
  return a;
}

std::vector<SlotRange> RangesFrom(const Json& a) {
  std::vector<SlotRange> out;
  for (const Json& r : a) out.push_back({r.at(0).get<int32_t>(), r.at(1).get<int32_t>()});
  return out;
}

Json StreamJson(const BundleStreamInfo& s) {
  Json j = {{"file", s.file},
            {"records", s.records},
            {"positive", s.positive},
            {"negative", s.negative},
            {"bytes", s.bytes},
            {"first_key", s.first_key},
            {"last_key", s.last_key},
            {"crc32c", s.crc32c},
            {"reason", s.reason},
            {"encoding", s.encoding},
            {"source_file", s.source_file}};
  Json ranges = Json::array();
  for (const BundleRange& r : s.ranges) {
    Json range = {r.offset, r.length, r.records, r.first_key, r.last_key};
    if (!r.rule.empty()) range.push_back(r.rule);
    ranges.push_back(range);
  }
  j["ranges"] = ranges;
  return j;
}

BundleStreamInfo StreamFrom(const Json& j) {
  BundleStreamInfo s;
  s.file = j.at("file").get<std::string>();
  s.records = j.at("records").get<int64_t>();
  s.positive = j.at("positive").get<int64_t>();
  s.negative = j.at("negative").get<int64_t>();
  s.bytes = j.at("bytes").get<uint64_t>();
  s.first_key = j.at("first_key").get<std::string>();
  s.last_key = j.at("last_key").get<std::string>();
  s.crc32c = j.at("crc32c").get<uint32_t>();
  s.reason = j.at("reason").get<std::string>();
  s.encoding = j.at("encoding").get<std::string>();
  s.source_file = j.at("source_file").get<std::string>();
  for (const Json& r : j.at("ranges")) {
    s.ranges.push_back({r.at(0).get<uint64_t>(), r.at(1).get<uint64_t>(), r.at(2).get<int64_t>(),
                        r.at(3).get<std::string>(), r.at(4).get<std::string>(),
                        r.size() > 5 ? r.at(5).get<std::string>() : std::string()});
  }
  return s;
}

Json BundleJson(const MergeJournalBundle& b) {
  Json streams = Json::array();
  for (const auto& s : b.streams) streams.push_back(StreamJson(s));
  return {{"dir", b.dir}, {"target_shard", b.target_shard}, {"streams", streams}};
}

MergeJournalBundle BundleFrom(const Json& b) {
  MergeJournalBundle mb;
  mb.dir = b.at("dir").get<std::string>();
  mb.target_shard = b.at("target_shard").get<int32_t>();
  for (const Json& s : b.at("streams")) mb.streams.push_back(StreamFrom(s));
  return mb;
}

}  // namespace

std::string MergeJournalPath(const std::string& workdir, const std::string& uuid) {
  return JoinPath(JournalDir(workdir), "merge." + uuid + ".json");
}

std::string SerializeMergeJournal(const MergeJournal& j) {
  Json o;
  o["schema_version"] = 1;
  o["job"] = "merge";
  o["state"] = j.state;
  o["phase"] = j.phase;
  o["ns"] = j.ns;
  o["uuid"] = j.uuid;
  o["database"] = j.database;
  o["rdb"] = j.rdb;
  o["dir"] = j.dir;
  Json inputs = Json::array();
  for (const auto& in : j.inputs) {
    inputs.push_back({{"name", in.name},
                      {"id", in.id},
                      {"size", in.size},
                      {"records", in.records},
                      {"start", in.start}});
  }
  o["inputs"] = inputs;
  o["target"] = {{"data", j.target_data}, {"map", j.target_map}, {"crc", j.target_crc}};
  o["final"] = {{"data", j.final_data}, {"map", j.final_map}, {"crc", j.final_crc}};
  o["part_size"] = j.part_size;
  o["drop_negatives"] = j.drop_negatives;
  o["cleanup_orphans"] = j.cleanup_orphans;
  o["whole_set"] = j.whole_set;
  o["orphans_to"] = j.orphans_to;
  o["orphan_sink"] = j.orphan_sink;
  if (j.misplaced) o["misplaced"] = true;
  o["quarantine_bad"] = j.quarantine_bad;
  o["slots"] = {{"drop", RangesJson(j.drop_slots)},
                {"deferred_not_ready", RangesJson(j.not_ready_slots)},
                {"deferred_lease_held", RangesJson(j.lease_held_slots)},
                {"unexpected", RangesJson(j.unexpected_slots)}};
  Json owners = Json::array();
  for (const auto& [r, shard] : j.owners) owners.push_back({r.min, r.max, shard});
  o["owners"] = owners;
  o["catalog"] = {{"epoch", j.catalog_epoch},
                  {"version", j.catalog_version},
                  {"shard_version", j.shard_version}};
  o["started"] = j.started;
  o["updated"] = j.updated;
  const MergeCounters& c = j.counters;
  o["checkpoint"] = {{"target_size", j.target_size},
                     {"last_key", j.last_key ? Json(*j.last_key) : Json(nullptr)},
                     {"last_out_key", j.last_out_key ? Json(*j.last_out_key) : Json(nullptr)},
                     {"records_in", c.records_in},
                     {"records_out", c.records_out},
                     {"annihilated", c.annihilated},
                     {"negatives_dropped", c.negatives_dropped},
                     {"orphans_dropped", c.orphans_dropped},
                     {"orphans_exported", c.orphans_exported},
                     {"orphans_deferred", c.orphans_deferred},
                     {"orphans_unexpected", c.orphans_unexpected},
                     {"damaged_ranges", c.damaged_ranges},
                     {"damaged_bytes", c.damaged_bytes},
                     {"bytes_in", c.bytes_in},
                     {"peak_extra_disk", j.peak_extra_disk},
                     {"parts_chopped", j.parts_chopped},
                     {"chopped_bytes", j.chopped_bytes}};
  Json bundles = Json::array();
  for (const auto& b : j.bundles) bundles.push_back(BundleJson(b));
  o["bundles"] = bundles;
  o["damaged_bundle"] = j.damaged_bundle ? BundleJson(*j.damaged_bundle) : Json(nullptr);
  return o.dump(1) + "\n";
}

Result<MergeJournal> ParseMergeJournal(std::string_view text, const std::string& path) {
  Json o = ParseStateJson<Json>(text);
  if (o.is_discarded() || !o.is_object()) {
    return CorruptCatalogError(path, "the merge journal is not JSON");
  }
  MergeJournal j;
  try {
    if (o.at("schema_version").get<int>() != 1 || o.at("job").get<std::string>() != "merge") {
      return CorruptCatalogError(path, "not a merge journal of schema_version 1");
    }
    j.state = o.at("state").get<std::string>();
    if (j.state != "merging" && j.state != "incorporating") {
      return CorruptCatalogError(path, "unknown state " + j.state);
    }
    j.phase = o.at("phase").get<std::string>();
    j.ns = o.at("ns").get<std::string>();
    j.uuid = o.at("uuid").get<std::string>();
    j.database = o.at("database").get<std::string>();
    j.rdb = o.at("rdb").get<std::string>();
    j.dir = o.at("dir").get<std::string>();
    for (const Json& in : o.at("inputs")) {
      j.inputs.push_back({in.at("name").get<std::string>(), in.at("id").get<int32_t>(),
                          in.at("size").get<uint64_t>(), in.at("records").get<int64_t>(),
                          in.at("start").get<uint64_t>()});
    }
    j.target_data = o.at("target").at("data").get<std::string>();
    j.target_map = o.at("target").at("map").get<std::string>();
    j.target_crc = o.at("target").at("crc").get<std::string>();
    j.final_data = o.at("final").at("data").get<std::string>();
    j.final_map = o.at("final").at("map").get<std::string>();
    j.final_crc = o.at("final").at("crc").get<std::string>();
    j.part_size = o.at("part_size").get<uint64_t>();
    j.drop_negatives = o.at("drop_negatives").get<bool>();
    j.cleanup_orphans = o.at("cleanup_orphans").get<bool>();
    j.whole_set = o.at("whole_set").get<bool>();
    j.orphans_to = o.at("orphans_to").get<std::string>();
    j.orphan_sink = o.at("orphan_sink").get<std::string>();
    j.misplaced = o.value("misplaced", false);
    j.quarantine_bad = o.value("quarantine_bad", false);
    const Json& slots = o.at("slots");
    j.drop_slots = RangesFrom(slots.at("drop"));
    j.not_ready_slots = RangesFrom(slots.at("deferred_not_ready"));
    j.lease_held_slots = RangesFrom(slots.at("deferred_lease_held"));
    j.unexpected_slots = RangesFrom(slots.at("unexpected"));
    for (const Json& ow : o.at("owners")) {
      j.owners.push_back(
          {{ow.at(0).get<int32_t>(), ow.at(1).get<int32_t>()}, ow.at(2).get<int32_t>()});
    }
    j.catalog_epoch = o.at("catalog").at("epoch").get<std::string>();
    j.catalog_version = o.at("catalog").at("version").get<uint64_t>();
    j.shard_version = o.at("catalog").at("shard_version").get<std::string>();
    j.started = o.at("started").get<int64_t>();
    j.updated = o.at("updated").get<int64_t>();
    const Json& c = o.at("checkpoint");
    j.target_size = c.at("target_size").get<uint64_t>();
    if (!c.at("last_key").is_null()) j.last_key = c.at("last_key").get<std::string>();
    if (!c.at("last_out_key").is_null()) j.last_out_key = c.at("last_out_key").get<std::string>();
    j.counters.records_in = c.at("records_in").get<int64_t>();
    j.counters.records_out = c.at("records_out").get<int64_t>();
    j.counters.annihilated = c.at("annihilated").get<int64_t>();
    j.counters.negatives_dropped = c.at("negatives_dropped").get<int64_t>();
    j.counters.orphans_dropped = c.at("orphans_dropped").get<int64_t>();
    j.counters.orphans_exported = c.at("orphans_exported").get<int64_t>();
    j.counters.orphans_deferred = c.at("orphans_deferred").get<int64_t>();
    j.counters.orphans_unexpected = c.at("orphans_unexpected").get<int64_t>();
    j.counters.damaged_ranges = c.value("damaged_ranges", int64_t{0});
    j.counters.damaged_bytes = c.value("damaged_bytes", uint64_t{0});
    j.counters.bytes_in = c.at("bytes_in").get<uint64_t>();
    j.peak_extra_disk = c.at("peak_extra_disk").get<uint64_t>();
    j.parts_chopped = c.at("parts_chopped").get<int64_t>();
    j.chopped_bytes = c.at("chopped_bytes").get<uint64_t>();
    for (const Json& b : o.at("bundles")) j.bundles.push_back(BundleFrom(b));
    if (o.contains("damaged_bundle") && !o.at("damaged_bundle").is_null()) {
      j.damaged_bundle = BundleFrom(o.at("damaged_bundle"));
    }
  } catch (const std::exception& e) {
    return CorruptCatalogError(path, std::string("bad merge journal: ") + e.what());
  }
  return j;
}

Result<std::optional<MergeJournal>> ReadMergeJournal(FileSystem* fs, const std::string& workdir,
                                                     const std::string& uuid) {
  const std::string path = MergeJournalPath(workdir, uuid);
  if (!fs->Exists(path)) return std::optional<MergeJournal>();
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs, path));
  ASSIGN_OR_RETURN(MergeJournal j, ParseMergeJournal(text, path));
  return std::optional<MergeJournal>(std::move(j));
}

Status WriteMergeJournal(FileSystem* fs, const std::string& workdir, const MergeJournal& j) {
  RETURN_IF_ERROR(fs->CreateDirs(JournalDir(workdir)));
  return WriteFileAtomically(fs, MergeJournalPath(workdir, j.uuid), SerializeMergeJournal(j));
}

Status RemoveMergeJournal(FileSystem* fs, const std::string& workdir, const std::string& uuid) {
  const std::string path = MergeJournalPath(workdir, uuid);
  if (!fs->Exists(path)) return Status::Ok();
  RETURN_IF_ERROR(fs->RemoveFile(path));
  return fs->SyncDir(JournalDir(workdir));
}

}  // namespace shardtool
