#include "format/file_name.h"

#include <cstdio>

namespace shardtool {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

// A cursor over a name; every Take* consumes only on success.
class NameReader {
 public:
  explicit NameReader(std::string_view s) : s_(s) {}
  bool done() const { return pos_ == s_.size(); }
  std::string_view rest() const { return s_.substr(pos_); }

  bool TakeLiteral(std::string_view lit) {
    if (rest().substr(0, lit.size()) != lit) return false;
    pos_ += lit.size();
    return true;
  }
  // One or more lower-case letters.
  bool TakeDbName(std::string* db) {
    size_t n = 0;
    while (pos_ + n < s_.size() && IsLower(s_[pos_ + n])) n++;
    if (n == 0) return false;
    *db = std::string(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  // The length of the run of digits at the cursor.
  size_t DigitRun() const {
    size_t n = 0;
    while (pos_ + n < s_.size() && IsDigit(s_[pos_ + n])) n++;
    return n;
  }
  // Exactly `n` digits (n <= 9), not followed by another digit.
  bool TakeDigits(size_t n, int32_t* value) {
    if (n == 0 || n > 9 || DigitRun() != n) return false;
    int32_t v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (s_[pos_ + i] - '0');
    *value = v;
    pos_ += n;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// "<db>NNNN" or "<db>NNNNN" with the canonical id spelling.
bool TakeDbAndId(NameReader* r, std::string* db, int32_t* id) {
  if (!r->TakeDbName(db)) return false;
  size_t n = r->DigitRun();
  if (n != 4 && n != 5) return false;
  if (!r->TakeDigits(n, id)) return false;
  return (n == 4) == (*id < 10000);
}

std::string Pad3(int32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%03d", static_cast<int>(v));
  return buf;
}

}  // namespace

std::string DataFileName::BaseName() const {
  std::string s = db + FormatFileId(id);
  if (ddd >= 0) s += "-" + Pad3(ddd);
  if (merge_files >= 0) s += "." + Pad3(merge_files);
  return s + ".dat";
}

std::string DataFileName::ToString() const {
  return part >= 1 ? PartName(BaseName(), part) : BaseName();
}

std::optional<DataFileName> ParseDataFileName(std::string_view name) {
  NameReader r(name);
  DataFileName f;
  if (!TakeDbAndId(&r, &f.db, &f.id)) return std::nullopt;
  if (r.TakeLiteral("-")) {
    if (!r.TakeDigits(3, &f.ddd)) return std::nullopt;
  }
  if (r.TakeLiteral(".")) {
    // Either the merge count or the "dat" of ".dat".
    if (r.DigitRun() > 0) {
      if (!r.TakeDigits(3, &f.merge_files) || !r.TakeLiteral(".")) return std::nullopt;
    }
    if (!r.TakeLiteral("dat")) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (r.done()) return f;
  if (!r.TakeLiteral(".part")) return std::nullopt;
  size_t n = r.DigitRun();
  if (n == 0 || n > 9 || r.rest()[0] == '0') return std::nullopt;
  if (!r.TakeDigits(n, &f.part) || !r.done()) return std::nullopt;
  return f;
}

std::optional<MetaFileName> ParseMetaFileName(std::string_view name) {
  NameReader r(name);
  MetaFileName m;
  if (!TakeDbAndId(&r, &m.db, &m.id)) return std::nullopt;
  if (r.TakeLiteral(".map")) {
    m.kind = MetaFileKind::kMap;
  } else if (r.TakeLiteral(".crc")) {
    m.kind = MetaFileKind::kCrc;
  } else {
    return std::nullopt;
  }
  if (!r.done()) return std::nullopt;
  return m;
}

std::string FormatFileId(int32_t id) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d", static_cast<int>(id));
  return buf;
}

std::string DataName(std::string_view db, int32_t id, bool titledb_naming) {
  return std::string(db) + FormatFileId(id) + (titledb_naming ? "-000" : "") + ".dat";
}

std::string MergeName(std::string_view db, int32_t id, int32_t merge_files, bool titledb_naming) {
  return std::string(db) + FormatFileId(id) + (titledb_naming ? "-000" : "") + "." +
         Pad3(merge_files) + ".dat";
}

std::string MapName(std::string_view db, int32_t id) {
  return std::string(db) + FormatFileId(id) + ".map";
}

std::string CrcName(std::string_view db, int32_t id) {
  return std::string(db) + FormatFileId(id) + ".crc";
}

std::string PartName(std::string_view data_name, int32_t part) {
  if (part <= 0) return std::string(data_name);
  return std::string(data_name) + ".part" + std::to_string(part);
}

// GB RdbBase::setFiles: lists "*.dat*", needs at least strlen(db) + 8 characters, the db prefix
// and 4 digits (a 5th is read when present; GB does not look further, so a 6th digit does not stop
// it either). We mirror that test, which is looser than ParseDataFileName.
bool GbWouldLoad(std::string_view name, std::string_view db) {
  if (name.find(".dat") == std::string_view::npos) return false;
  if (name.size() < db.size() + 8) return false;
  if (name.substr(0, db.size()) != db) return false;
  for (size_t i = 0; i < 4; i++) {
    if (!IsDigit(name[db.size() + i])) return false;
  }
  return true;
}

}  // namespace shardtool
