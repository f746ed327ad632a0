#include "testing/golden_dump.h"

// GCC 12 at -O1 (tests) reports a false -Wstringop-overread inside libstdc++'s operator+ on the
// paths below (the same family as the false positives CMakeLists.txt turns off).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif

#include <fstream>
#include <sstream>

#include "testing/paths.h"

namespace shardtool::testing {
namespace {

constexpr GoldenFile kGoldenFiles[] = {
    {"posdb", "posdb0003.dat", "posdb0003.map", "dump_p_posdb0003.txt", 1372, 3711},
    {"titledb", "titledb0003-000.dat", "titledb0003.map", "dump_t_titledb0003-000.txt", 1, 2},
    {"linkdb", "linkdb0007.dat", "linkdb0007.map", "dump_L_linkdb0007.txt", 14, 10},
    {"clusterdb", "clusterdb0001.dat", "clusterdb0001.map", "dump_l_clusterdb0001.txt", 56, 0},
    {"tagdb", "tagdb0001.dat", "tagdb0001.map", "dump_S_tagdb0001.txt", 15, 0},
};

// Value of "name=" in a line up to the next space; false when absent.
bool Field(const std::string& line, const std::string& name, std::string* value) {
  size_t pos = 0;
  while ((pos = line.find(name + "=", pos)) != std::string::npos) {
    if (pos == 0 || line[pos - 1] == ' ') {
      const size_t start = pos + name.size() + 1;
      const size_t end = line.find(' ', start);
      *value = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
      return true;
    }
    pos++;
  }
  return false;
}

// Lower-case hex, "0x" stripped, left-padded with zeros to `digits`; false on a bad digit.
bool Hex(std::string v, size_t digits, std::string* out) {
  if (v.rfind("0x", 0) == 0) v = v.substr(2);
  if (v.empty() || v.size() > digits) return false;
  for (char& c : v) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  *out += std::string(digits - v.size(), '0') + v;
  return true;
}

bool ParseLine(const std::string& rdb, const std::string& line, DumpRecord* r) {
  std::string v;
  r->negative = line.find("(del") != std::string::npos;
  if (rdb == "posdb" || rdb == "linkdb") {
    const size_t digits = rdb == "posdb" ? 36 : 56;
    if (!Field(line, "k", &v) || !Hex(v, digits, &r->key_hex)) return false;
    if (rdb == "posdb") {
      if (!Field(line, "rs", &v)) return false;
      r->stored_size = std::stoll(v);
    }
    return true;
  }
  if (rdb == "titledb") {
    std::string n1, n0;
    if (!Field(line, "n1", &n1) || !Field(line, "n0", &n0)) return false;
    if (!Hex(n1, 8, &r->key_hex) || !Hex(n0, 16, &r->key_hex)) return false;
    if (!r->negative) {
      if (!Field(line, "size", &v)) return false;
      r->data_size = std::stoll(v, nullptr, 10);
    }
    return true;
  }
  if (rdb == "clusterdb") {
    std::string n1, n0;
    if (!Field(line, "k.n1", &n1) || !Field(line, "k.n0", &n0)) return false;
    return Hex(n1, 8, &r->key_hex) && Hex(n0, 16, &r->key_hex);
  }
  if (rdb == "tagdb") {
    std::string h, d, s;
    if (!Field(line, "k.hsthash", &h) || !Field(line, "k.duphash", &d) ||
        !Field(line, "k.sitehash", &s)) {
      return false;
    }
    if (!Hex(h, 16, &r->key_hex) || !Hex(d, 8, &r->key_hex) || !Hex(s, 8, &r->key_hex)) {
      return false;
    }
    // TAG=name,"user",date,(time),ip,"value": the value is the text between the last quotes.
    const size_t close = line.rfind('"');
    const size_t open = close == std::string::npos ? close : line.rfind('"', close - 1);
    if (open == std::string::npos) return false;
    r->tag_value = line.substr(open + 1, close - open - 1);
    return true;
  }
  return false;
}

}  // namespace

std::span<const GoldenFile> GoldenFiles() { return kGoldenFiles; }

std::string GoldenDataDir() { return GoldenDir() + "/coll.main.0"; }
std::string GoldenDumpDir() { return GoldenDir() + "/dumps"; }

bool ReadFileBytes(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool ParseGoldenDump(const std::string& rdb, const std::string& path, std::vector<DumpRecord>* out,
                     std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  out->clear();
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    line_no++;
    if (line.empty() || line.rfind("ek=", 0) == 0) continue;  // read-chunk end keys
    DumpRecord r;
    if (!ParseLine(rdb, line, &r)) {
      *error = path + ":" + std::to_string(line_no) + ": cannot parse: " + line;
      return false;
    }
    out->push_back(std::move(r));
  }
  return true;
}

}  // namespace shardtool::testing
