// The chunk fast path of the catalog.json parse (ParseCatalogJsonFast, catalog_json_internal.h).
#include <optional>
#include <string>

#include "catalog/catalog_json_internal.h"

namespace shardtool {
namespace {

using Json = CatalogJson;

// The parse of a catalog with tens of thousands of chunks was mostly the allocations of their JSON
// objects (about five per chunk). ChunkFastPath is a SAX handler that builds the same document as
// Json::parse (it forwards every event to nlohmann's own DOM builder) except for the elements of
// each collections[i].chunks array: a chunk object with exactly the members min, max, shard
// (int32) and version (a valid "M|m") is decoded straight into a Chunk, and the document gets an
// empty array there. Anything else inside a chunks array (another member, another type, a value
// out of range, a bad version, "collections" or "chunks" given twice) makes the handler give up,
// and the caller parses the whole text the slow way, which reports the error or keeps the unknown
// members exactly as before. So the result is always the slow path's.
class ChunkFastPath {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<Json>;
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit ChunkFastPath(Json* doc) : dom_(*doc, /*allow_exceptions_=*/false) {}

  // Parses text; false when the fast path gave up or the text is not JSON (failed() tells which).
  bool Parse(std::string_view text) {
    return Json::sax_parse(text.begin(), text.end(), this, nlohmann::detail::input_format_t::json,
                           /*strict=*/true) &&
           !gave_up_ && !failed_;
  }
  bool failed() const { return failed_; }
  // The chunks decoded, by position in the collections array (see FastChunks); moves them out.
  FastChunks TakeChunks() { return std::move(by_collection_); }

  bool null() { return in_chunks_ ? GiveUp() : (Value(), dom_.null()); }
  bool boolean(bool v) { return in_chunks_ ? GiveUp() : (Value(), dom_.boolean(v)); }
  bool number_integer(number_integer_t v) {
    if (in_chunks_) return Field(v >= INT32_MIN && v <= INT32_MAX, static_cast<int32_t>(v));
    Value();
    return dom_.number_integer(v);
  }
  bool number_unsigned(number_unsigned_t v) {
    if (in_chunks_) return Field(v <= INT32_MAX, static_cast<int32_t>(v));
    Value();
    return dom_.number_unsigned(v);
  }
  bool number_float(number_float_t v, const string_t& s) {
    return in_chunks_ ? GiveUp() : (Value(), dom_.number_float(v, s));
  }
  bool string(string_t& v) {
    if (!in_chunks_) {
      Value();
      return dom_.string(v);
    }
    if (depth_ != 1 || field_ != 3 || (seen_ & 8) != 0) return GiveUp();
    auto version = ChunkVersion::Parse(v);
    if (!version) return GiveUp();
    chunk_.version = *version;
    seen_ |= 8;
    field_ = -1;
    return true;
  }
  bool binary(binary_t& v) { return in_chunks_ ? GiveUp() : (Value(), dom_.binary(v)); }
  bool start_object(std::size_t n) {
    if (in_chunks_) {
      if (depth_ != 0) return GiveUp();
      depth_ = 1;
      seen_ = 0;
      field_ = -1;
      chunk_ = Chunk{};
      return true;
    }
    const std::string k = std::move(key_);
    Value();
    stack_.push_back({true, k});
    key_.clear();
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    if (in_chunks_) {
      if (depth_ != 1 || field_ != -1) return GiveUp();
      field_ = k == "min" ? 0 : k == "max" ? 1 : k == "shard" ? 2 : k == "version" ? 3 : -2;
      return field_ >= 0 ? true : GiveUp();
    }
    key_ = k;
    return dom_.key(k);
  }
  bool end_object() {
    if (in_chunks_) {
      if (depth_ != 1 || seen_ != 15) return GiveUp();
      depth_ = 0;
      (*by_collection_[collection_]).push_back(std::move(chunk_));
      return true;
    }
    stack_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (in_chunks_) return GiveUp();
    const bool root_member = stack_.size() == 1;
    if (root_member && key_ == "collections" && ++collections_arrays_ > 1) return GiveUp();
    if (key_ == "chunks" && InCollections() && stack_[2].is_object) {
      if (collection_ < 0) return GiveUp();
      const size_t i = static_cast<size_t>(collection_);
      if (by_collection_.size() <= i) by_collection_.resize(i + 1);
      if (by_collection_[i].has_value()) return GiveUp();  // "chunks" twice in one collection
      by_collection_[i].emplace();
      in_chunks_ = true;
      depth_ = 0;
      key_.clear();
      return dom_.start_array(0);
    }
    const std::string k = std::move(key_);
    Value();
    stack_.push_back({false, k});
    return dom_.start_array(n);
  }
  bool end_array() {
    if (in_chunks_) {
      if (depth_ != 0) return GiveUp();
      in_chunks_ = false;
      return dom_.end_array();
    }
    stack_.pop_back();
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t pos, const std::string& token, const Exception& e) {
    failed_ = true;
    return dom_.parse_error(pos, token, e);
  }

 private:
  struct Level {
    bool is_object;
    std::string key_in_parent;  // the member name this container is the value of ("" in arrays)
  };
  bool GiveUp() {
    gave_up_ = true;
    return false;
  }
  // The stack holds the root object, its "collections" array, and (at depth 2) an element of it.
  bool InCollections() const {
    return stack_.size() == 3 && stack_[0].is_object && !stack_[1].is_object &&
           stack_[1].key_in_parent == "collections";
  }
  // The start of any value outside the chunks arrays: counts the elements of "collections" (so
  // that collection_ is the element's index whatever its type) and consumes the pending key.
  void Value() {
    if (stack_.size() == 2 && stack_[0].is_object && !stack_[1].is_object &&
        stack_[1].key_in_parent == "collections") {
      ++collection_;
    }
    key_.clear();
  }
  bool Field(bool in_range, int32_t v) {
    if (depth_ != 1 || field_ < 0 || field_ > 2 || !in_range || (seen_ & (1 << field_)) != 0) {
      return GiveUp();
    }
    (field_ == 0 ? chunk_.min : field_ == 1 ? chunk_.max : chunk_.shard) = v;
    seen_ |= 1 << field_;
    field_ = -1;
    return true;
  }

  Dom dom_;
  std::vector<Level> stack_;
  std::string key_;  // the pending member name (empty after the value's first event)
  int collection_ = -1;
  int collections_arrays_ = 0;
  FastChunks by_collection_;
  bool in_chunks_ = false;
  int depth_ = 0;  // inside a chunks array: 0 between elements, 1 inside a chunk object
  int field_ = -1;
  unsigned seen_ = 0;
  Chunk chunk_;
  bool gave_up_ = false;
  bool failed_ = false;
};

}  // namespace

bool ParseCatalogJsonFast(std::string_view text, CatalogJson* doc, FastChunks* chunks) {
  ChunkFastPath fast_path(doc);
  if (!fast_path.Parse(text)) return false;
  *chunks = fast_path.TakeChunks();
  return true;
}

}  // namespace shardtool
