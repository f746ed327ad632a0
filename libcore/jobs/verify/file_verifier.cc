#include "jobs/verify/file_verifier.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"
#include "format/crc_sidecar.h"
#include "format/page_map.h"
#include "format/record_codec.h"
#include "format/titlerec.h"
#include "iter/record_scanner.h"

namespace shardtool {

SlotOwners SlotOwnersOf(const CollectionEntry& c, int32_t self_shard) {
  SlotOwners o;
  o.owner.fill(-1);
  for (const Chunk& ch : c.chunks) {
    for (int32_t s = std::max(0, ch.min); s < std::min<int32_t>(ch.max, kNumSlots); s++) {
      o.owner[static_cast<size_t>(s)] = static_cast<int16_t>(ch.shard);
    }
  }
  o.self = static_cast<int16_t>(self_shard);
  return o;
}
namespace {

// Collects findings: exact counts per rule and severity, the first `limit` of each rule listed.
class FindingSink {
 public:
  FindingSink(int limit, FileVerifyReport* report) : limit_(limit), report_(report) {}

  void Add(Finding f) {
    int64_t& n = report_->rule_counts[f.rule];
    n++;
    (f.severity == Severity::kError ? report_->errors : report_->notices)++;
    if (n <= limit_) report_->findings.push_back(std::move(f));
  }
  // Findings from a checker that already caps its lists and appends a summary finding per rule
  // (counted by `exact` when given).
  void AddCapped(std::vector<Finding>& found) {
    for (Finding& f : found) Add(std::move(f));
    found.clear();
  }
  void Add(std::string rule, Severity sev, const std::string& file, int64_t offset, int64_t page,
           std::string key, std::string message) {
    Add(Finding{std::move(rule), sev, file, offset, page, std::move(key), std::move(message)});
  }

 private:
  int limit_;
  FileVerifyReport* report_;
};

// Checks the data's pages against the checksum sidecar as bytes stream by in order.
class PageCrcStream {
 public:
  PageCrcStream(const CrcSidecar& sc, uint64_t start, const std::string& file, FindingSink* sink)
      : sc_(sc), page_(start / sc.page_size), file_(file), sink_(sink) {}
  uint64_t next_offset() const { return page_ * sc_.page_size + filled_; }
  void Add(const uint8_t* p, size_t n) {
    while (n > 0 && page_ < sc_.num_pages()) {
      const uint64_t page_len = sc_.PageEnd(page_) - sc_.PageBegin(page_);
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, page_len - filled_));
      crc_ = Crc32cExtend(crc_, p, take);
      filled_ += take;
      p += take;
      n -= take;
      if (filled_ == page_len) {
        if (!sc_.PageMatches(page_, crc_)) {
          sink_->Add("C4", Severity::kError, file_, static_cast<int64_t>(sc_.PageBegin(page_)),
                     static_cast<int64_t>(page_), "",
                     "page CRC mismatch over bytes [" + std::to_string(sc_.PageBegin(page_)) +
                         ", " + std::to_string(sc_.PageEnd(page_)) + ")");
        }
        page_++;
        filled_ = 0;
        crc_ = 0;
      }
    }
  }

 private:
  const CrcSidecar& sc_;
  uint64_t page_;
  uint64_t filled_ = 0;
  uint32_t crc_ = 0;
  const std::string& file_;
  FindingSink* sink_;
};

// Feeds the raw bytes [from, to) of the file to the CRC stream (gaps the record scan did not
// cover: before a headless file's first record, after a decoding failure).
Status FeedRaw(BigFile* big, uint64_t from, uint64_t to, size_t buffer, PageCrcStream* crc) {
  if (from >= to) return Status::Ok();
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(to - from, buffer)));
  while (from < to) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), to - from));
    RETURN_IF_ERROR(big->Read(from, n, buf.data()));
    crc->Add(buf.data(), n);
    from += n;
  }
  return Status::Ok();
}

struct Ctx {
  FileSystem* fs;
  const FileVerifyOptions& opt;
  FileVerifyReport& r;
  FindingSink& sink;
  DataFile& df;
  const std::string& file;
};

void CountOwnership(Ctx& c, const uint8_t* key, int slot, int64_t offset, int ks) {
  const int owner = c.opt.owners->owner[static_cast<size_t>(slot)];
  if (owner == c.opt.owners->self) {
    c.r.owned++;
    return;
  }
  c.r.not_owned++;
  c.r.not_owned_by_shard[owner]++;
  if (static_cast<int>(c.r.misplaced_sample.size()) < c.opt.report_limit) {
    c.r.misplaced_sample.push_back({KeyHex(key, ks), offset, slot, owner});
  }
}

// Canonical stored key size (doc/format.md §3 encoder) for a key after `prev`, inline for the loop.
template <int KS>
inline uint32_t CanonicalBytesT(KeyCompression c, const uint8_t* prev, const uint8_t* key) {
  if (c == KeyCompression::kNone) return KS;
  if constexpr (KS == 18) {
    if (c == KeyCompression::kPosdb) {
      const uint64_t a1 = LoadLE64(key + 8), b1 = LoadLE64(prev + 8);
      if (LoadLE16(key + 16) != LoadLE16(prev + 16) || (a1 >> 32) != (b1 >> 32))
        return 18;  // 12..17
      if (static_cast<uint32_t>(a1) != static_cast<uint32_t>(b1) ||
          (LoadLE64(key) >> 48) != (LoadLE64(prev) >> 48)) {
        return 12;  // bytes 6..11 differ
      }
      return 6;
    }
  }
  // Half keys: the top 6 bytes (KS-6 .. KS-1).
  const uint64_t top = LoadLE64(key + KS - 8) >> 16, ptop = LoadLE64(prev + KS - 8) >> 16;
  return top == ptop ? KS - 6 : KS;
}

// A Status message as a finding's text: the finding names the file and the rule already, so a
// leading "<file>: " and a trailing " (<rule>)" are left out.
std::string FindingText(std::string_view msg, std::string_view file, std::string_view rule) {
  if (msg.size() > file.size() + 2 && msg.substr(0, file.size()) == file &&
      msg.substr(file.size(), 2) == ": ") {
    msg.remove_prefix(file.size() + 2);
  }
  const std::string tail = " (" + std::string(rule) + ")";
  if (msg.size() > tail.size() && msg.substr(msg.size() - tail.size()) == tail) {
    msg.remove_suffix(tail.size());
  }
  return std::string(msg);
}

// The stop flag and the acquisition's checks come at least this often in bytes (issue 16).
constexpr uint64_t kYieldBytes = uint64_t{1} << 20;

// The per-record loop, compiled for the Rdb's exact layout (key size, slot function, key
// compression, data form, whether a record sink is given) with the decoder inlined. Counters live
// in locals (written back at the end) so the compiler keeps them in registers.
template <int KS, SlotKind K, KeyCompression C, int D, bool kSink>
Status ScanRecords(Ctx& c, RecordScanner& scan, MapVerifier* mv, Inflater* inflater) {
  const RdbInfo& rdb = *c.df.rdb;
  constexpr bool kTitledb = K == SlotKind::kTitledbDocId && D == codec_detail::kDataVariable;
  const int16_t* owner = (c.opt.owners != nullptr && K != SlotKind::kNotShardable)
                             ? c.opt.owners->owner.data()
                             : nullptr;
  const int16_t self = c.opt.owners ? c.opt.owners->self : 0;
  const bool no_negatives = c.opt.no_negatives;
  int64_t positive = 0, negative = 0, owned = 0;
  uint8_t prev[KS] = {};
  bool have_prev = false;
  uint64_t until_yield = c.opt.yield ? c.opt.yield_every : UINT64_MAX;
  // ...or after kYieldBytes bytes, whichever comes first (large titlerecs).
  uint64_t yield_at = c.opt.yield ? scan.consumed() + kYieldBytes : UINT64_MAX;
  std::vector<Finding> scratch;
  Status status;
  (void)rdb;
  scan.ScanAll<C, D>([&](const Record& rec, uint64_t off) __attribute__((always_inline)) {
    const uint8_t* key = rec.key;
    if (mv) mv->AddRecordT<KS>(off, rec.size, key, rec.negative);
    positive += !rec.negative;
    negative += rec.negative;
    if (no_negatives && rec.negative) [[unlikely]] {
      c.sink.Add("L9", Severity::kError, c.file, static_cast<int64_t>(off), -1, KeyHex(key, KS),
                 "negative record in the target of a merge that includes the oldest file, "
                 "which drops negatives (GB: unmet negative key)");
    }
    if (have_prev) [[likely]] {
      const int cmp = CompareKeysT<KS>(key, prev);
      if (cmp <= 0 || SameKeyIgnoringDelbitT<KS>(key, prev)) [[unlikely]] {
        if (cmp < 0) {
          c.sink.Add("L4", Severity::kError, c.file, static_cast<int64_t>(off), -1, KeyHex(key, KS),
                     "key is lower than the previous key " + KeyHex(prev, KS));
        } else if (cmp == 0) {
          c.sink.Add("L5", Severity::kNotice, c.file, static_cast<int64_t>(off), -1,
                     KeyHex(key, KS), "same full key as the previous record");
        } else {
          c.sink.Add("L6", Severity::kNotice, c.file, static_cast<int64_t>(off), -1,
                     KeyHex(key, KS),
                     "both twins (negative and positive) of this key are in the file");
        }
      }
      if constexpr (C != KeyCompression::kNone) {
        const uint32_t want = CanonicalBytesT<KS>(C, prev, key);
        if (rec.key_bytes != want) [[unlikely]] {
          c.sink.Add("L7", Severity::kNotice, c.file, static_cast<int64_t>(off), -1,
                     KeyHex(key, KS),
                     "key stored in " + std::to_string(rec.key_bytes) + " bytes, canonical is " +
                         std::to_string(want));
        }
      }
    } else {
      c.r.first_key = KeyHex(key, KS);
      if (rec.key_bytes != KS) {
        c.sink.Add("L7", Severity::kNotice, c.file, static_cast<int64_t>(off), -1, KeyHex(key, KS),
                   "the first key is not stored full");
      }
    }
    if constexpr (kTitledb) {
      if (!rec.negative) {
        status = CheckTitlerec(key, rec.data, rec.data_size, c.opt.inflate && !c.opt.quick,
                               inflater, c.file, static_cast<int64_t>(off), &scratch);
        if (!status.ok()) return false;
        if (!scratch.empty()) c.sink.AddCapped(scratch);
      }
    }
    if constexpr (K != SlotKind::kNotShardable) {
      if (owner != nullptr) {
        const int slot = KeySlotT<K>(key);
        if (owner[slot] == self) [[likely]] {
          owned++;
        } else {
          CountOwnership(c, key, slot, static_cast<int64_t>(off), KS);
        }
      }
    }
    if constexpr (kSink) {
      status = c.opt.sink->Add(rec);
      if (!status.ok()) return false;
    }
    CopyKeyT<KS>(prev, key);
    have_prev = true;
    if (--until_yield == 0 || off >= yield_at) [[unlikely]] {
      until_yield = c.opt.yield_every;
      yield_at = off + kYieldBytes;
      status = c.opt.yield(off + rec.size);
      if (!status.ok()) return false;
    }
    return true;
  });
  c.r.positive += positive;
  c.r.negative += negative;
  c.r.owned += owned;
  if (have_prev) c.r.last_key = KeyHex(prev, KS);
  return status;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The map: M1 (unparsable) and the structural checks.
void CheckMap(DataFile& df, const std::string& map_path, const FileVerifyOptions& opt,
              FindingSink& sink) {
  if (!df.map && df.map_status.code() == ErrorCode::kCorruption) {
    sink.Add("M1", Severity::kError, map_path, -1, -1, "",
             FindingText(df.map_status.message(), map_path, "M1"));
  }
  if (df.map) {
    std::vector<Finding> found;
    df.map->CheckStructure(df.big->logical_size(), df.big->first_part(), df.big->part_size(),
                           map_path, &found, opt.report_limit);
    sink.AddCapped(found);
  }
}

// The checksum sidecar: C1/C2 (unusable), C3 (stale), C5 (none). The sidecar when it is usable.
Result<std::optional<CrcSidecar>> CheckSidecar(FileSystem* fs, const std::string& dir, DataFile& df,
                                               const std::string& file, FindingSink& sink) {
  std::optional<CrcSidecar> sidecar;
  if (!df.has_crc) {
    sink.Add("C5", Severity::kNotice, file, -1, -1, "",
             "no checksum sidecar " + df.crc_name + ": not covered");
    return sidecar;
  }
  const std::string crc_path = JoinPath(dir, df.crc_name);
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(fs, crc_path, uint64_t{1} << 31));
  auto parsed = CrcSidecar::Parse(bytes, crc_path);
  std::vector<Finding> found;
  if (!parsed.ok()) {
    const std::string& m = parsed.status().message();
    const char* rule = m.find("(C2)") != std::string::npos ? "C2" : "C1";
    sink.Add(rule, Severity::kError, crc_path, -1, -1, "", FindingText(m, crc_path, rule));
  } else if (parsed->CheckStale(df.big->logical_size(), file, &found)) {
    sidecar = std::move(parsed).value();
  }
  sink.AddCapped(found);
  return sidecar;
}

// How ownership is checked (O2 for an Rdb that is not shardable).
void NoteOwnershipMode(const RdbInfo& rdb, const FileVerifyOptions& opt, const std::string& file,
                       FileVerifyReport& r, FindingSink& sink) {
  if (!rdb.shardable()) {
    r.ownership_checked = "not_shardable";
    sink.Add("O2", Severity::kNotice, file, -1, -1, "",
             std::string(rdb.name) + " is not shardable: ownership not checked");
  } else if (opt.owners == nullptr) {
    r.ownership_checked = "unversioned";
  } else {
    r.ownership_checked = opt.quick ? "page_keys" : "records";
  }
}

// --quick: counts and keys from the map, ownership of its page keys.
void QuickCheck(Ctx& c) {
  DataFile& df = c.df;
  const RdbInfo& rdb = *df.rdb;
  if (!df.map) return;
  c.r.positive = df.map->num_positive();
  c.r.negative = df.map->num_negative();
  if (df.map->num_pages() > 0) {
    c.r.first_key = KeyHex(df.map->page_key(0), rdb.key_size);
    c.r.last_key = KeyHex(df.map->last_key(), rdb.key_size);
  }
  if (!c.opt.owners || !rdb.shardable()) return;
  for (int64_t p = 0; p < df.map->num_pages(); p++) {
    if (df.map->page_offset(p) < 0) continue;
    CountOwnership(c, df.map->page_key(p), KeySlot(rdb, df.map->page_key(p)),
                   df.map->GetAbsoluteOffset(p), rdb.key_size);
  }
}

// The deep scan: every record decoded, checked against the map and the sidecar's page CRCs.
Status DeepScan(Ctx& c, const std::string& map_path, const std::optional<CrcSidecar>& sidecar) {
  DataFile& df = c.df;
  const RdbInfo& rdb = *df.rdb;
  const std::string& file = c.file;
  auto first = df.FirstReadable();
  if (!first.ok()) {
    c.sink.Add("D6", Severity::kError, file, static_cast<int64_t>(df.big->first_offset()), -1, "",
               FindingText(first.status().message(), file, "D6"));
    return Status::Ok();
  }
  const uint64_t start = first->first;
  std::optional<MapVerifier> mv;
  if (df.map) {
    mv.emplace(*df.map, map_path, df.big->headless() && rdb.id == RdbId::kPosdb);
    mv->set_limit_per_rule(c.opt.report_limit);
  }
  std::optional<PageCrcStream> crc;
  if (sidecar) {
    crc.emplace(*sidecar, df.big->first_offset(), file, &c.sink);
    RETURN_IF_ERROR(FeedRaw(df.big.get(), df.big->first_offset(), start, c.opt.scan_buffer, &*crc));
  }
  RecordScanner::Options so;
  so.start = start;
  so.buffer_size = c.opt.scan_buffer;
  so.seed_key = first->second;
  if (crc) so.on_consumed = [&crc](const uint8_t* p, size_t n, uint64_t) { crc->Add(p, n); };
  RecordScanner scan(df.big.get(), rdb, so);
  Inflater inflater;
  RETURN_IF_ERROR(VisitRdbLayout(rdb, [&](auto ks, auto kind, auto comp, auto form) {
    MapVerifier* m = mv ? &*mv : nullptr;
    if (c.opt.sink != nullptr) {
      return ScanRecords<ks.value, kind.value, comp.value, form.value, true>(c, scan, m, &inflater);
    }
    return ScanRecords<ks.value, kind.value, comp.value, form.value, false>(c, scan, m, &inflater);
  }));
  const uint64_t stopped = scan.consumed();
  if (!scan.status().ok()) {
    if (scan.failed_rule().empty()) return scan.status();  // an I/O error, not a finding
    const int64_t page = df.map ? static_cast<int64_t>(stopped / rdb.page_size) : -1;
    c.sink.Add(scan.failed_rule(), Severity::kError, file, static_cast<int64_t>(stopped), page, "",
               FindingText(scan.status().message(), file, scan.failed_rule()) +
                   "; the rest of the file (" + std::to_string(df.big->logical_size() - stopped) +
                   " bytes) cannot be decoded");
  } else {
    c.r.decoded_completely = true;
  }
  if (mv) {
    std::vector<Finding> found;
    mv->Finish(stopped, &found);
    c.sink.AddCapped(found);
  }
  if (crc) {
    RETURN_IF_ERROR(FeedRaw(df.big.get(), crc->next_offset(), df.big->logical_size(),
                            c.opt.scan_buffer, &*crc));
  }
  return Status::Ok();
}

}  // namespace

Result<FileVerifyReport> VerifyFile(FileSystem* fs, const std::string& dir,
                                    const std::string& data_name,
                                    const std::vector<DirEntry>* entries,
                                    const OpenDataFileOptions& open, const FileVerifyOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  FileVerifyReport r;
  FindingSink sink(opt.report_limit, &r);
  const std::string file = JoinPath(dir, data_name);
  r.file = file;
  std::vector<Finding> found;
  auto opened = OpenDataFile(fs, dir, data_name, entries, open, &found);
  sink.AddCapped(found);
  if (!opened.ok()) {
    // Unusable parts are a finding of the file (D1), and so is a file none of whose parts can be
    // read (only symbolic links, one dangling); anything else is the job's error.
    const ErrorCode code = opened.status().code();
    if (code != ErrorCode::kCorruption && code != ErrorCode::kNotFound) return opened.status();
    if (code == ErrorCode::kNotFound && r.errors == 0) {
      sink.Add("D1", Severity::kError, file, -1, -1, "", opened.status().message());
    }
    r.rdb = open.rdb ? std::string(open.rdb->name) : "";
    return r;
  }
  DataFile& df = *opened;
  const RdbInfo& rdb = *df.rdb;
  r.rdb = std::string(rdb.name);
  r.id = df.name.id;
  r.bytes = df.big->logical_size();
  const std::string map_path = JoinPath(dir, df.map_name);
  CheckMap(df, map_path, opt, sink);
  ASSIGN_OR_RETURN(std::optional<CrcSidecar> sidecar, CheckSidecar(fs, dir, df, file, sink));
  NoteOwnershipMode(rdb, opt, file, r, sink);
  Ctx c{fs, opt, r, sink, df, file};
  if (opt.quick) {
    QuickCheck(c);
  } else {
    RETURN_IF_ERROR(DeepScan(c, map_path, sidecar));
  }
  r.seconds = SecondsSince(t0);
  return r;
}

}  // namespace shardtool
