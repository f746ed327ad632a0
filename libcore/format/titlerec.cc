#include "format/titlerec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "base/coding.h"
#include "format/key.h"

namespace shardtool {
namespace {

constexpr int kAutoWindowBits = 47;  // 32 (detect zlib or gzip) + 15 (32 KiB window), as GB
constexpr size_t kMinInitialOutput = 64 * 1024;
constexpr std::string_view kT2Suffix = " (T2)";

// A rule violation before it becomes a Status or a Finding.
struct Problem {
  std::string rule;  // empty = none
  std::string message;
  bool ok() const { return rule.empty(); }
};

Problem CheckHeader(const uint8_t* data, uint32_t data_size, TitlerecHeader* h) {
  if (data_size < 4) {
    return {"T1", "titlerec dataSize " + std::to_string(data_size) + " < 4"};
  }
  h->data_size = static_cast<int32_t>(data_size);
  h->ubuf_size = LoadLEi32(data);
  if (h->ubuf_size <= 0 || h->ubuf_size > kMaxTitlerecUbufSize) {
    return {"T1", "titlerec ubufSize " + std::to_string(h->ubuf_size) + " outside 1.." +
                      std::to_string(kMaxTitlerecUbufSize)};
  }
  return {};
}

}  // namespace

Result<TitlerecHeader> ParseTitlerecHeader(const uint8_t* data, uint32_t data_size) {
  TitlerecHeader h{};
  Problem p = CheckHeader(data, data_size, &h);
  if (!p.ok()) return CorruptionStatus(p.message + " (" + p.rule + ")");
  return h;
}

bool CheckTitlerecT1(const uint8_t* data, uint32_t data_size, const std::string& file,
                     int64_t offset, const uint8_t* key, std::vector<Finding>* out) {
  TitlerecHeader h{};
  Problem p = CheckHeader(data, data_size, &h);
  if (p.ok()) return true;
  AddFinding(out, p.rule, Severity::kError, file, offset, -1, KeyHex(key, 12), p.message);
  return false;
}

bool TitledbReservedBitsSet(const uint8_t* key) { return ((LoadLE16(key) >> 1) & 0x1ff) != 0; }

bool CheckTitledbKeyT3(const uint8_t* key, const std::string& file, int64_t offset,
                       std::vector<Finding>* out) {
  if (!TitledbReservedBitsSet(key)) return true;
  AddFinding(out, "T3", Severity::kNotice, file, offset, -1, KeyHex(key, 12),
             "titledb key has reserved bits 9..1 set");
  return false;
}

Inflater::Inflater() : zs_(std::make_unique<z_stream_s>()) {}

Inflater::~Inflater() {
  if (initialized_) inflateEnd(zs_.get());
}

Status Inflater::Inflate(const uint8_t* data, uint32_t data_size, std::string* out) {
  trailing_ = 0;
  out->clear();
  ASSIGN_OR_RETURN(TitlerecHeader h, ParseTitlerecHeader(data, data_size));
  z_stream* zs = zs_.get();
  if (!initialized_) {
    std::memset(zs, 0, sizeof(*zs));
    if (inflateInit2(zs, kAutoWindowBits) != Z_OK) {
      return InternalErrorStatus("zlib inflateInit2 failed");
    }
    initialized_ = true;
  } else if (inflateReset(zs) != Z_OK) {
    return InternalErrorStatus("zlib inflateReset failed");
  }
  const auto t2 = [](const std::string& msg) {
    return CorruptionStatus(msg + std::string(kT2Suffix));
  };

  const size_t ubuf = static_cast<size_t>(h.ubuf_size);
  const uint32_t in_size = data_size - 4;
  zs->next_in = const_cast<Bytef*>(data + 4);  // zlib does not write through next_in
  zs->avail_in = in_size;
  // Grow the output as the stream produces it, never past ubufSize.
  size_t cap = std::min(ubuf, std::max(kMinInitialOutput, size_t{in_size} * 4));
  out->resize(cap);
  size_t produced = 0;
  for (;;) {
    // Once ubufSize bytes are out, probe with a 1-byte scratch buffer: any more output is T2.
    const bool probing = produced == ubuf;
    Bytef scratch = 0;
    zs->next_out = probing ? &scratch : reinterpret_cast<Bytef*>(out->data()) + produced;
    zs->avail_out = static_cast<uInt>(probing ? 1 : cap - produced);
    int rc = inflate(zs, Z_NO_FLUSH);
    if (probing) {
      if (zs->avail_out == 0) {
        out->clear();
        return t2("titlerec inflates to more than ubufSize " + std::to_string(ubuf) + " bytes");
      }
    } else {
      produced = cap - zs->avail_out;
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_MEM_ERROR) {
      out->clear();
      return InternalErrorStatus("zlib inflate: out of memory");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
      out->clear();
      return t2(std::string("titlerec zlib stream is damaged: ") +
                (zs->msg ? zs->msg : "error " + std::to_string(rc)));
    }
    if (!probing && produced == cap && cap < ubuf) {
      cap = std::min(ubuf, cap * 2);
      out->resize(cap);
      continue;
    }
    if (zs->avail_in == 0) {
      out->clear();
      return t2("titlerec zlib stream is truncated after " + std::to_string(produced) +
                " of ubufSize " + std::to_string(ubuf) + " bytes");
    }
    if (rc == Z_BUF_ERROR) {  // no progress possible although input and output remain
      out->clear();
      return t2("titlerec zlib stream makes no progress");
    }
  }
  if (produced != ubuf) {
    out->clear();
    return t2("titlerec inflates to " + std::to_string(produced) + " bytes, ubufSize is " +
              std::to_string(ubuf));
  }
  out->resize(produced);
  trailing_ = zs->avail_in;
  return Status::Ok();
}

Status CheckTitlerec(const uint8_t* key, const uint8_t* data, uint32_t data_size, bool deep,
                     Inflater* inflater, const std::string& file, int64_t offset,
                     std::vector<Finding>* out) {
  CheckTitledbKeyT3(key, file, offset, out);
  if (!CheckTitlerecT1(data, data_size, file, offset, key, out)) return Status::Ok();
  if (!deep) return Status::Ok();
  std::string page;
  Status s = inflater->Inflate(data, data_size, &page);
  if (s.code() == ErrorCode::kCorruption) {
    // The Status message ends with " (T2)"; a Finding names its rule separately.
    std::string_view msg = s.message();
    if (msg.ends_with(kT2Suffix)) msg.remove_suffix(kT2Suffix.size());
    AddFinding(out, "T2", Severity::kError, file, offset, -1, KeyHex(key, 12), std::string(msg));
    return Status::Ok();
  }
  RETURN_IF_ERROR(s);
  if (inflater->trailing_bytes() > 0) {
    AddFinding(
        out, "T3", Severity::kNotice, file, offset, -1, KeyHex(key, 12),
        std::to_string(inflater->trailing_bytes()) + " bytes after the end of the zlib stream");
  }
  return Status::Ok();
}

std::string MakeTitlerecData(std::string_view page, int level) {
  uLongf bound = compressBound(static_cast<uLong>(page.size()));
  std::string out(4 + bound, '\0');
  StoreLE32(reinterpret_cast<uint8_t*>(out.data()), static_cast<uint32_t>(page.size()));
  uLongf len = bound;
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()) + 4, &len,
                     reinterpret_cast<const Bytef*>(page.data()), static_cast<uLong>(page.size()),
                     level);
  if (rc != Z_OK) return std::string();
  out.resize(4 + len);
  return out;
}

}  // namespace shardtool
