#include "io/zstd_codec.h"

#include <zstd.h>

#include <algorithm>

namespace shardtool {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};
using CCtxPtr = std::unique_ptr<ZSTD_CCtx, CCtxDeleter>;
using DCtxPtr = std::unique_ptr<ZSTD_DCtx, DCtxDeleter>;

std::string ZstdError(size_t code) { return ZSTD_getErrorName(code); }

// Sets the parameters every frame of ours uses. Compression errors are our bug, not bad input.
Status ConfigureCompressor(ZSTD_CCtx* c, int level, bool content_size) {
  size_t r = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size ? 1 : 0);
  if (ZSTD_isError(r)) return InternalErrorStatus("zstd: bad parameter: " + ZstdError(r));
  return Status::Ok();
}

}  // namespace

Result<std::string> ZstdCompressFrame(std::string_view data, int level) {
  CCtxPtr c(ZSTD_createCCtx());
  if (c == nullptr) return InternalErrorStatus("zstd: cannot create a compression context");
  RETURN_IF_ERROR(ConfigureCompressor(c.get(), level, true));
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t r = ZSTD_compress2(c.get(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(r)) return InternalErrorStatus("zstd: compression failed: " + ZstdError(r));
  out.resize(r);
  return out;
}

Result<std::string> ZstdDecompressFrame(std::string_view frame, uint64_t max_size) {
  unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return CorruptionStatus("zstd: not a zstd frame (" + std::to_string(frame.size()) + " bytes)");
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_size) {
    return CorruptionStatus("zstd: frame declares " + std::to_string(declared) +
                            " bytes of content, more than the " + std::to_string(max_size) +
                            " allowed");
  }
  size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) {
    return CorruptionStatus("zstd: bad or truncated frame: " + ZstdError(frame_size));
  }
  if (frame_size != frame.size()) {
    return CorruptionStatus("zstd: " + std::to_string(frame.size() - frame_size) +
                            " bytes after the end of the frame");
  }
  DCtxPtr d(ZSTD_createDCtx());
  if (d == nullptr) return InternalErrorStatus("zstd: cannot create a decompression context");

  std::string out;
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN) out.reserve(declared);
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  const size_t chunk = ZSTD_DStreamOutSize();
  size_t r = 1;
  // Output grows one chunk at a time and never past max_size + 1 bytes.
  while (r != 0) {
    size_t used = out.size();
    uint64_t left = max_size - used;  // used <= max_size: checked below
    size_t step = left >= chunk ? chunk : static_cast<size_t>(left) + 1;
    out.resize(used + step);
    ZSTD_outBuffer o{out.data() + used, step, 0};
    r = ZSTD_decompressStream(d.get(), &o, &in);
    out.resize(used + o.pos);
    if (ZSTD_isError(r)) return CorruptionStatus("zstd: corrupt frame: " + ZstdError(r));
    if (out.size() > max_size) {
      return CorruptionStatus("zstd: frame content exceeds the " + std::to_string(max_size) +
                              " bytes allowed");
    }
    if (r != 0 && in.pos == in.size && o.pos < o.size) {
      return CorruptionStatus("zstd: truncated frame");
    }
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && out.size() != declared) {
    return CorruptionStatus("zstd: frame declares " + std::to_string(declared) +
                            " bytes but holds " + std::to_string(out.size()));
  }
  return out;
}

struct ZstdFrameWriter::Ctx {
  CCtxPtr c;
};

ZstdFrameWriter::ZstdFrameWriter(std::string* sink, int level) : string_sink_(sink) {
  status_ = Init(level);
}

ZstdFrameWriter::ZstdFrameWriter(WritableFile* sink, int level) : file_sink_(sink) {
  status_ = Init(level);
}

ZstdFrameWriter::~ZstdFrameWriter() = default;

Status ZstdFrameWriter::Init(int level) {
  ctx_ = std::make_unique<Ctx>();
  ctx_->c.reset(ZSTD_createCCtx());
  if (ctx_->c == nullptr) return InternalErrorStatus("zstd: cannot create a compression context");
  RETURN_IF_ERROR(ConfigureCompressor(ctx_->c.get(), level, false));
  out_buf_.resize(ZSTD_CStreamOutSize());
  return Status::Ok();
}

Status ZstdFrameWriter::Emit(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  bytes_out_ += bytes.size();
  if (string_sink_ != nullptr) {
    string_sink_->append(bytes);
    return Status::Ok();
  }
  return file_sink_->Append(bytes);
}

Status ZstdFrameWriter::Pump(std::string_view data, bool end) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  for (;;) {
    ZSTD_outBuffer o{out_buf_.data(), out_buf_.size(), 0};
    size_t r = ZSTD_compressStream2(ctx_->c.get(), &o, &in, mode);
    if (ZSTD_isError(r)) return InternalErrorStatus("zstd: compression failed: " + ZstdError(r));
    RETURN_IF_ERROR(Emit(std::string_view(out_buf_.data(), o.pos)));
    // e_continue is done when the input is consumed; e_end when nothing is left to flush.
    if (end ? r == 0 : in.pos == in.size) return Status::Ok();
  }
}

Status ZstdFrameWriter::Append(std::string_view chunk) {
  RETURN_IF_ERROR(status_);
  if (finished_) return InternalErrorStatus("zstd: append after Finish");
  status_ = Pump(chunk, false);
  bytes_in_ += chunk.size();
  return status_;
}

Status ZstdFrameWriter::Finish() {
  RETURN_IF_ERROR(status_);
  if (finished_) return InternalErrorStatus("zstd: Finish called twice");
  finished_ = true;
  status_ = Pump({}, true);
  return status_;
}

struct ZstdBlockCodec::Ctx {
  CCtxPtr c;
  DCtxPtr d;
};

ZstdBlockCodec::ZstdBlockCodec(int level) : ctx_(std::make_unique<Ctx>()), level_(level) {}
ZstdBlockCodec::~ZstdBlockCodec() = default;

Status ZstdBlockCodec::Compress(std::string_view raw, std::string* frame) {
  if (ctx_->c == nullptr) {
    ctx_->c.reset(ZSTD_createCCtx());
    if (ctx_->c == nullptr) return InternalErrorStatus("zstd: cannot create a compression context");
    RETURN_IF_ERROR(ConfigureCompressor(ctx_->c.get(), level_, true));
  }
  frame->resize(ZSTD_compressBound(raw.size()));
  const size_t r =
      ZSTD_compress2(ctx_->c.get(), frame->data(), frame->size(), raw.data(), raw.size());
  if (ZSTD_isError(r)) return InternalErrorStatus("zstd: compression failed: " + ZstdError(r));
  frame->resize(r);
  return Status::Ok();
}

Status ZstdBlockCodec::Decompress(std::string_view frame, size_t raw_size, std::string* raw) {
  if (ctx_->d == nullptr) {
    ctx_->d.reset(ZSTD_createDCtx());
    if (ctx_->d == nullptr)
      return InternalErrorStatus("zstd: cannot create a decompression context");
  }
  const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size) || frame_size != frame.size()) {
    return CorruptionStatus("zstd: not exactly one frame (" + std::to_string(frame.size()) +
                            " bytes)");
  }
  raw->resize(raw_size);
  const size_t r =
      ZSTD_decompressDCtx(ctx_->d.get(), raw->data(), raw->size(), frame.data(), frame.size());
  if (ZSTD_isError(r)) return CorruptionStatus("zstd: corrupt frame: " + ZstdError(r));
  if (r != raw_size) {
    return CorruptionStatus("zstd: frame holds " + std::to_string(r) + " bytes, not " +
                            std::to_string(raw_size));
  }
  return Status::Ok();
}

}  // namespace shardtool
