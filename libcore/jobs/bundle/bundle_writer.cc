#include "jobs/bundle/bundle_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "base/crc32c.h"
#include "catalog/state_json.h"
#include "format/key.h"
#include "io/atomic_file.h"
#include "io/zstd_codec.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kManifest[] = "manifest.json";

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

std::string StreamName(size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "records-%04zu.zst", index);
  return buf;
}

Json StreamJson(const BundleStreamInfo& s) {
  Json j = {{"file", s.file},         {"records", s.records},     {"positive", s.positive},
            {"negative", s.negative}, {"bytes", s.bytes},         {"first_key", s.first_key},
            {"last_key", s.last_key}, {"crc32c", Hex32(s.crc32c)}};
  if (!s.reason.empty()) {
    j["reason"] = s.reason;
    j["encoding"] = s.encoding;
    j["source_file"] = s.source_file;
    Json ranges = Json::array();
    for (const BundleRange& r : s.ranges) {
      Json range = {{"offset", r.offset},
                    {"length", r.length},
                    {"records", r.records},
                    {"first_key", r.first_key},
                    {"last_key", r.last_key}};
      if (!r.rule.empty()) range["rule"] = r.rule;
      ranges.push_back(range);
    }
    j["ranges"] = ranges;
  }
  return j;
}

Result<BundleStreamInfo> StreamFromJson(const Json& j, const std::string& path) {
  BundleStreamInfo s;
  try {
    s.file = j.at("file").get<std::string>();
    s.records = j.at("records").get<int64_t>();
    s.positive = j.value("positive", int64_t{-1});
    s.negative = j.value("negative", int64_t{-1});
    s.bytes = j.at("bytes").get<uint64_t>();
    s.first_key = j.at("first_key").get<std::string>();
    s.last_key = j.at("last_key").get<std::string>();
    const std::string crc = j.at("crc32c").get<std::string>();
    // As std::stoul(crc, nullptr, 16) reads it: leading blanks, a sign, "0x", then hex digits.
    char* end = nullptr;
    const unsigned long v = crc.size() == 8 ? std::strtoul(crc.c_str(), &end, 16) : 0;
    if (crc.size() != 8 || end == crc.c_str()) {
      return CorruptionStatus(path + ": bad stream entry: crc32c is not 8 hex digits (B1)");
    }
    s.crc32c = static_cast<uint32_t>(v);
    if (j.contains("reason")) {
      s.reason = j.at("reason").get<std::string>();
      s.encoding = j.value("encoding", std::string("records"));
      s.source_file = j.value("source_file", std::string());
      for (const Json& r : j.value("ranges", Json::array())) {
        s.ranges.push_back({r.at("offset").get<uint64_t>(), r.at("length").get<uint64_t>(),
                            r.value("records", int64_t{0}), r.value("first_key", std::string()),
                            r.value("last_key", std::string()), r.value("rule", std::string())});
      }
    }
  } catch (const Json::exception& e) {
    return CorruptionStatus(path + ": bad stream entry: " + e.what() + " (B1)");
  }
  return s;
}

}  // namespace

std::string Iso8601Utc(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string CompactUtc(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string BundleDirName(const std::string& db, const std::string& rdb, int32_t shard,
                          int64_t unix_seconds, uint32_t tag) {
  return db + "." + rdb + ".s" + std::to_string(shard) + "." + CompactUtc(unix_seconds) + "." +
         Hex32(tag);
}

std::string SerializeBundleManifest(const BundleManifest& m) {
  Json j;
  j["format"] = "shardtool-bundle";
  j["schema_version"] = 1;
  j["kind"] = m.header.kind;
  j["created"] = m.header.created;
  j["source"] = {{"host_id", m.header.source_host_id}, {"shard", m.header.source_shard}};
  j["target_shard"] = m.header.target_shard;
  j["database"] = m.header.database;
  j["rdb"] = m.rdb;
  j["key_size"] = m.key_size;
  j["fixed_data_size"] = m.fixed_data_size;
  j["catalog"] = {{"epoch", m.header.catalog_epoch},
                  {"catalogVersion", m.header.catalog_version},
                  {"version", m.header.catalog_shard_version},
                  {"uuid", m.header.collection_uuid}};
  j["records"] = {{"positive", m.positive}, {"negative", m.negative}};
  j["key_range"] = {{"first", m.first_key}, {"last", m.last_key}};
  Json streams = Json::array();
  for (const BundleStreamInfo& s : m.streams) streams.push_back(StreamJson(s));
  j["streams"] = streams;
  return j.dump(2) + "\n";
}

Result<BundleManifest> ParseBundleManifest(std::string_view text, const std::string& path) {
  Json j = ParseStateJson<Json>(text);
  if (j.is_discarded() || !j.is_object()) {
    return CorruptionStatus(path + ": not JSON (B1)").With("rule", "B1");
  }
  BundleManifest m;
  try {
    if (j.at("format").get<std::string>() != "shardtool-bundle" ||
        j.at("schema_version").get<int>() != 1) {
      return CorruptionStatus(path + ": unknown format or schema_version (B1)").With("rule", "B1");
    }
    m.header.kind = j.at("kind").get<std::string>();
    m.header.created = j.value("created", std::string());
    m.header.source_host_id = j.at("source").value("host_id", 0);
    m.header.source_shard = j.at("source").value("shard", 0);
    m.header.target_shard = j.at("target_shard").get<int32_t>();
    m.header.database = j.at("database").get<std::string>();
    m.rdb = j.at("rdb").get<std::string>();
    m.key_size = j.at("key_size").get<int>();
    m.fixed_data_size = j.at("fixed_data_size").get<int32_t>();
    const Json& cat = j.at("catalog");
    m.header.catalog_epoch = cat.value("epoch", std::string());
    m.header.catalog_version = cat.value("catalogVersion", uint64_t{0});
    m.header.catalog_shard_version = cat.value("version", std::string());
    m.header.collection_uuid = cat.value("uuid", std::string());
    m.positive = j.at("records").at("positive").get<int64_t>();
    m.negative = j.at("records").at("negative").get<int64_t>();
    m.first_key = j.at("key_range").value("first", std::string());
    m.last_key = j.at("key_range").value("last", std::string());
    for (const Json& s : j.at("streams")) {
      ASSIGN_OR_RETURN(BundleStreamInfo info, StreamFromJson(s, path));
      m.streams.push_back(std::move(info));
    }
  } catch (const Json::exception& e) {
    return CorruptionStatus(path + ": bad manifest: " + e.what() + " (B1)").With("rule", "B1");
  }
  return m;
}

struct BundleWriter::Slot {
  explicit Slot(const RdbInfo& rdb) : enc(rdb, /*full_keys_only=*/true) {}
  RecordEncoder enc;
  std::string buf;
  int64_t records = 0, positive = 0, negative = 0;
  std::string first_key, last_key;  // raw key bytes
  std::string source_file, reason;
  std::vector<BundleRange> ranges;
  bool raw = false;  // exact source bytes (AddRaw), no records
};

BundleWriter::BundleWriter(FileSystem* fs, std::string parent, std::string name, const RdbInfo& rdb,
                           BundleHeader header)
    : fs_(fs), parent_(std::move(parent)), name_(std::move(name)), rdb_(rdb), header_(header) {}

BundleWriter::~BundleWriter() = default;

std::string BundleWriter::tmp_path() const { return JoinPath(parent_, name_ + ".tmp"); }
std::string BundleWriter::final_path() const { return JoinPath(parent_, name_); }

int64_t BundleWriter::records() const {
  int64_t n = 0;
  for (const auto& s : streams_) n += s.records;
  for (const auto& [i, s] : slots_) n += s->records;
  return n;
}

Status BundleWriter::Open(const std::vector<BundleStreamInfo>& adopted) {
  const std::string tmp = tmp_path();
  const bool existed = fs_->Exists(tmp);
  RETURN_IF_ERROR(fs_->CreateDirs(tmp));
  if (existed) {
    ASSIGN_OR_RETURN(auto entries, fs_->ListDir(tmp));
    for (const DirEntry& e : entries) {
      const bool keep = std::any_of(adopted.begin(), adopted.end(),
                                    [&](const BundleStreamInfo& s) { return s.file == e.name; });
      if (!keep && !e.is_dir) RETURN_IF_ERROR(fs_->RemoveFile(JoinPath(tmp, e.name)));
    }
    RETURN_IF_ERROR(fs_->SyncDir(tmp));
  }
  streams_ = adopted;
  for (const auto& s : streams_) {
    if (!fs_->Exists(JoinPath(tmp, s.file))) {
      return CorruptionStatus(JoinPath(tmp, s.file) +
                              ": a bundle stream the journal lists as durable is missing (B2)");
    }
  }
  return fs_->SyncDir(parent_);
}

void BundleWriter::SetSlotSource(int slot, std::string source_file, std::string reason) {
  auto& s = slots_[slot];
  if (!s) s = std::make_unique<Slot>(rdb_);
  s->source_file = std::move(source_file);
  s->reason = std::move(reason);
}

Status BundleWriter::Add(int slot, const uint8_t* full_key, const uint8_t* data, uint32_t data_size,
                         uint64_t source_offset, uint32_t source_size) {
  auto& sp = slots_[slot];
  if (!sp) sp = std::make_unique<Slot>(rdb_);
  Slot& s = *sp;
  const int ks = rdb_.key_size;
  if (s.records == 0) {
    s.enc.Reset();
    s.first_key.assign(reinterpret_cast<const char*>(full_key), static_cast<size_t>(ks));
  }
  const bool neg = KeyIsNegative(full_key);
  const size_t n = s.enc.Append(
      full_key, std::string_view(reinterpret_cast<const char*>(data), data ? data_size : 0),
      &s.buf);
  s.last_key.assign(reinterpret_cast<const char*>(full_key), static_cast<size_t>(ks));
  s.records++;
  (neg ? s.negative : s.positive)++;
  buffered_ += n;
  if (!s.reason.empty() && source_size > 0) {
    const std::string hex = KeyHex(full_key, ks);
    if (!s.ranges.empty() && s.ranges.back().offset + s.ranges.back().length == source_offset) {
      s.ranges.back().length += source_size;
      s.ranges.back().records++;
      s.ranges.back().last_key = hex;
    } else {
      s.ranges.push_back({source_offset, source_size, 1, hex, hex, ""});
    }
  }
  if (s.buf.size() >= stream_limit) return FlushSlot(s);
  return Status::Ok();
}

Status BundleWriter::AddRaw(int slot, uint64_t source_offset, std::string_view bytes,
                            const std::string& rule) {
  auto& sp = slots_[slot];
  if (!sp) sp = std::make_unique<Slot>(rdb_);
  Slot& s = *sp;
  if (s.records > 0) return InternalErrorStatus("raw bytes added to a bundle slot of records");
  s.raw = true;
  s.buf.append(bytes);
  buffered_ += bytes.size();
  BundleRange* last = s.ranges.empty() ? nullptr : &s.ranges.back();
  if (last != nullptr && last->offset + last->length == source_offset && last->rule == rule) {
    last->length += bytes.size();
  } else {
    s.ranges.push_back({source_offset, bytes.size(), 0, "", "", rule});
  }
  if (s.buf.size() >= stream_limit) return FlushSlot(s);
  return Status::Ok();
}

Status BundleWriter::FlushSlot(Slot& s) {
  if (s.records == 0 && s.buf.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::string frame, ZstdCompressFrame(s.buf, 3));
  BundleStreamInfo info;
  info.file = StreamName(streams_.size());
  const std::string path = JoinPath(tmp_path(), info.file);
  ASSIGN_OR_RETURN(auto f, fs_->OpenForWrite(path, WriteMode::kTruncate));
  RETURN_IF_ERROR(f->Append(frame));
  RETURN_IF_ERROR(f->Sync());
  RETURN_IF_ERROR(f->Close());
  dir_dirty_ = true;
  file_bytes_ += frame.size();
  const int ks = rdb_.key_size;
  info.records = s.records;
  info.positive = s.positive;
  info.negative = s.negative;
  info.bytes = s.buf.size();
  if (!s.raw) {
    info.first_key = KeyHex(reinterpret_cast<const uint8_t*>(s.first_key.data()), ks);
    info.last_key = KeyHex(reinterpret_cast<const uint8_t*>(s.last_key.data()), ks);
  }
  info.crc32c = Crc32c(frame);
  if (!s.reason.empty()) {
    info.reason = s.reason;
    info.encoding = s.raw ? "raw" : "records";
    info.source_file = s.source_file;
    info.ranges = std::move(s.ranges);
  }
  streams_.push_back(std::move(info));
  buffered_ -= s.buf.size();
  s.buf.clear();
  s.buf.shrink_to_fit();
  s.records = s.positive = s.negative = 0;
  s.ranges.clear();
  return Status::Ok();
}

Status BundleWriter::FlushLargest() {
  Slot* largest = nullptr;
  for (auto& [i, s] : slots_) {
    if (largest == nullptr || s->buf.size() > largest->buf.size()) largest = s.get();
  }
  return largest ? FlushSlot(*largest) : Status::Ok();
}

Status BundleWriter::FlushAll() {
  for (auto& [i, s] : slots_) RETURN_IF_ERROR(FlushSlot(*s));
  if (dir_dirty_) {
    RETURN_IF_ERROR(fs_->SyncDir(tmp_path()));
    dir_dirty_ = false;
  }
  return Status::Ok();
}

Status BundleWriter::Commit() {
  RETURN_IF_ERROR(FlushAll());
  BundleManifest m;
  m.header = header_;
  m.rdb = std::string(rdb_.name);
  m.key_size = rdb_.key_size;
  m.fixed_data_size = rdb_.fixed_data_size;
  m.streams = streams_;
  for (const BundleStreamInfo& s : streams_) {
    m.positive += s.positive;
    m.negative += s.negative;
    if (s.encoding == "raw") continue;  // bytes, no keys
    // Hex of equal length compares like the keys.
    if (m.first_key.empty() || s.first_key < m.first_key) m.first_key = s.first_key;
    if (m.last_key.empty() || s.last_key > m.last_key) m.last_key = s.last_key;
  }
  RETURN_IF_ERROR(
      WriteFileAtomically(fs_, JoinPath(tmp_path(), kManifest), SerializeBundleManifest(m)));
  RETURN_IF_ERROR(fs_->Rename(tmp_path(), final_path()));
  return fs_->SyncDir(parent_);
}

Result<BundleContents> ReadBundle(FileSystem* fs, const std::string& dir) {
  const std::string mpath = JoinPath(dir, kManifest);
  if (!fs->Exists(mpath)) return CorruptionStatus(mpath + ": no manifest (B1)").With("rule", "B1");
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs, mpath));
  BundleContents out;
  ASSIGN_OR_RETURN(out.manifest, ParseBundleManifest(text, mpath));
  const BundleManifest& m = out.manifest;
  const RdbInfo* rdb = FindRdb(m.rdb);
  if (rdb == nullptr || rdb->key_size != m.key_size || rdb->fixed_data_size != m.fixed_data_size) {
    return CorruptionStatus(mpath + ": key_size or fixed_data_size differs from the registry for " +
                            m.rdb + " (B4)")
        .With("rule", "B4");
  }
  const int ks = rdb->key_size;
  int64_t pos_total = 0, neg_total = 0;
  for (const BundleStreamInfo& s : m.streams) {
    // A stream is a file of the bundle itself: nothing outside it is ever opened.
    if (s.file.empty() || s.file.find('/') != std::string::npos || s.file == "." ||
        s.file.find("..") != std::string::npos || s.file == kManifest) {
      return CorruptionStatus(mpath + ": stream name '" + s.file +
                              "' is not a file name inside the bundle (B1)")
          .With("rule", "B1");
    }
    const std::string path = JoinPath(dir, s.file);
    if (!fs->Exists(path)) return CorruptionStatus(path + ": stream missing (B2)");
    ASSIGN_OR_RETURN(std::string frame, ReadFileToString(fs, path));
    if (Crc32c(frame) != s.crc32c) return CorruptionStatus(path + ": crc32c mismatch (B2)");
    auto plain = ZstdDecompressFrame(frame, s.bytes);
    if (!plain.ok()) return CorruptionStatus(path + ": " + plain.status().message() + " (B2)");
    if (plain->size() != s.bytes) return CorruptionStatus(path + ": size differs (B2)");
    if (s.encoding == "raw") {
      // Exact source bytes that did not pass a check: nothing to decode (§10.3).
      if (s.records != 0) return CorruptionStatus(path + ": a raw stream lists records (B3)");
      out.streams.emplace_back();
      continue;
    }
    RecordDecoder dec(*rdb);
    dec.Reset();
    std::vector<BundleRecord> recs;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(plain->data());
    const uint8_t* end = p + plain->size();
    std::string prev;
    int64_t pos = 0, neg = 0;
    while (p < end) {
      Record r;
      const DecodeStatus ds = dec.Decode(p, end, &r);
      if (ds != DecodeStatus::kOk) {
        return CorruptionStatus(path + ": record " + std::to_string(recs.size()) +
                                " does not decode (" + std::string(DecodeStatusRule(ds)) +
                                ") (B3)");
      }
      if (r.key_bytes != static_cast<uint32_t>(ks)) {
        return CorruptionStatus(path + ": a compressed key form (B3)");
      }
      if (!prev.empty() &&
          CompareKeysNegEq(reinterpret_cast<const uint8_t*>(prev.data()), r.key, ks) >= 0) {
        return CorruptionStatus(path + ": keys do not strictly increase (B3)");
      }
      prev.assign(reinterpret_cast<const char*>(r.key), static_cast<size_t>(ks));
      recs.push_back({prev,
                      std::string(reinterpret_cast<const char*>(r.data), r.data ? r.data_size : 0),
                      r.negative});
      (r.negative ? neg : pos)++;
      p += r.size;
    }
    if (static_cast<int64_t>(recs.size()) != s.records ||
        (s.positive >= 0 && (pos != s.positive || neg != s.negative)) ||
        (!recs.empty() &&
         (KeyHex(reinterpret_cast<const uint8_t*>(recs.front().key.data()), ks) != s.first_key ||
          KeyHex(reinterpret_cast<const uint8_t*>(recs.back().key.data()), ks) != s.last_key))) {
      return CorruptionStatus(path +
                              ": record counts or first/last keys differ from the manifest (B3)");
    }
    pos_total += pos;
    neg_total += neg;
    out.streams.push_back(std::move(recs));
  }
  if (pos_total != m.positive || neg_total != m.negative) {
    return CorruptionStatus(mpath + ": record counts differ from the streams (B3)");
  }
  return out;
}

}  // namespace shardtool
