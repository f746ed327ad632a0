// libFuzzer target for the record list codec (doc/format.md §3). Input: byte 0 picks the Rdb form
// (low 4 bits, modulo the number of forms), bit 0x80 seeds the decoder with a page key taken from
// the next ks bytes, bit 0x40 caps the data size at 64; the rest is decoded to the end. The
// records decoded are re-encoded canonically and as full keys, and both must decode to the same
// records; the canonical encoding must be stable.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "format/record_codec.h"

namespace shardtool {
namespace {

constexpr RdbInfo kExtraForms[] = {
    {RdbId::kDoledb, "fixed4", 12, 4, KeyCompression::kNone, 1024, SlotKind::kNotShardable, false},
    {RdbId::kDoledb, "halffixed3", 12, 3, KeyCompression::kHalf, 1024, SlotKind::kNotShardable,
     false},
    {RdbId::kDoledb, "halfvar16", 16, -1, KeyCompression::kHalf, 1024, SlotKind::kNotShardable,
     false},
    {RdbId::kDoledb, "posdbvar", 18, -1, KeyCompression::kPosdb, 1024, SlotKind::kNotShardable,
     false},
};

const RdbInfo& PickForm(uint8_t b) {
  const size_t n = AllRdbs().size() + std::size(kExtraForms);
  const size_t i = (b & 0x0f) % n;
  return i < AllRdbs().size() ? AllRdbs()[i] : kExtraForms[i - AllRdbs().size()];
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Rec {
  uint8_t key[kMaxKeySize];
  std::string data;
  uint32_t key_bytes;
};

// Decodes all of [p, end) (stopping at the first failure) into recs.
void DecodeList(const RdbInfo& rdb, const uint8_t* p, const uint8_t* end, const uint8_t* seed,
                uint32_t max_data, std::vector<Rec>* recs, bool* complete) {
  RecordDecoder dec(rdb);
  dec.set_max_data_size(max_data);
  if (seed) dec.SeedFromPageKey(seed);
  Record r;
  const size_t ks = static_cast<size_t>(rdb.key_size);
  *complete = true;
  while (p < end) {
    if (dec.Decode(p, end, &r) != DecodeStatus::kOk) {
      *complete = false;
      return;
    }
    Check(r.size > 0 && r.size <= static_cast<size_t>(end - p));
    Check(r.key == dec.last_key());
    Check(r.negative == ((r.key[0] & 1) == 0));
    Check(r.data_size == 0 || r.data != nullptr);
    Rec out;
    std::memcpy(out.key, r.key, ks);
    if (r.data_size) out.data.assign(reinterpret_cast<const char*>(r.data), r.data_size);
    out.key_bytes = r.key_bytes;
    recs->push_back(std::move(out));
    p += r.size;
  }
}

std::string Encode(const RdbInfo& rdb, const std::vector<Rec>& recs, bool full_only) {
  RecordEncoder enc(rdb, full_only);
  std::string out;
  for (const Rec& r : recs) enc.Append(r.key, r.data, &out);
  return out;
}

void CheckSame(const RdbInfo& rdb, const std::vector<Rec>& a, const std::vector<Rec>& b) {
  Check(a.size() == b.size());
  for (size_t i = 0; i < a.size(); i++) {
    Check(std::memcmp(a[i].key, b[i].key, static_cast<size_t>(rdb.key_size)) == 0);
    Check(a[i].data == b[i].data);
  }
}

}  // namespace
}  // namespace shardtool

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardtool;
  if (size < 1) return 0;
  const RdbInfo& rdb = PickForm(data[0]);
  const size_t ks = static_cast<size_t>(rdb.key_size);
  const uint8_t* p = data + 1;
  const uint8_t* end = data + size;
  const uint8_t* seed = nullptr;
  if (data[0] & 0x80) {
    if (static_cast<size_t>(end - p) < ks) return 0;
    seed = p;
    p += ks;
  }
  const uint32_t max_data = (data[0] & 0x40) ? 64 : 500000000;
  std::vector<Rec> recs;
  bool complete;
  DecodeList(rdb, p, end, seed, max_data, &recs, &complete);

  // Canonical re-encoding decodes to the same records, in canonical forms, and is stable.
  const std::string canon = Encode(rdb, recs, false);
  std::vector<Rec> again;
  const uint8_t* c = reinterpret_cast<const uint8_t*>(canon.data());
  DecodeList(rdb, c, c + canon.size(), nullptr, max_data, &again, &complete);
  Check(complete);
  CheckSame(rdb, recs, again);
  for (size_t i = 0; i < again.size(); i++) {
    Check(again[i].key_bytes ==
          CanonicalKeyBytes(rdb, i == 0 ? nullptr : again[i - 1].key, again[i].key));
  }
  Check(Encode(rdb, again, false) == canon);
  // Full keys only (bundle streams).
  const std::string full = Encode(rdb, recs, true);
  std::vector<Rec> from_full;
  const uint8_t* f = reinterpret_cast<const uint8_t*>(full.data());
  DecodeList(rdb, f, f + full.size(), nullptr, max_data, &from_full, &complete);
  Check(complete);
  CheckSame(rdb, recs, from_full);
  for (const Rec& r : from_full) Check(r.key_bytes == ks);
  return 0;
}
