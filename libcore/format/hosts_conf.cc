#include "format/hosts_conf.h"

#include <optional>

namespace shardtool {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool IsConfDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return IsConfDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.';
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) i++;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) i++;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// A non-negative decimal integer of at most `max_digits` digits.
std::optional<int32_t> ParseUint(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  int32_t v = 0;
  for (char c : s) {
    if (!IsConfDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > kMaxHostNameLength) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// "/a/b//" -> "/a/b"; "/" stays "/".
std::string NormaliseWorkDir(std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  return std::string(dir);
}

// Text of a line for a message: printable ASCII, at most 60 characters.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 60; i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s.size() > 60) out += "...";
  return out + "'";
}

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  Result<HostsConf> Run(std::string_view text);

 private:
  Status Error(int line, const std::string& msg, const char* rule) const {
    std::string where = std::string(file_) + ": ";
    if (line > 0) where += "line " + std::to_string(line) + ": ";
    return CorruptionStatus(where + msg + " (" + rule + ")");
  }
  Status Directive(int line, std::string_view rest, std::string_view name, int32_t* value);
  Status WorkingDir(int line, std::string_view rest);
  Status Grunt(int line, std::string_view text);

  std::string_view file_;
  HostsConf conf_;
  bool have_working_dir_ = false;
  int32_t num_mirrors_ = -1;   // -1 = not given
  int32_t index_splits_ = -1;  // -1 = not given
};

Status Parser::Directive(int line, std::string_view rest, std::string_view name, int32_t* value) {
  std::vector<std::string_view> t = Tokens(rest);
  std::optional<int32_t> v;
  if (t.size() == 1) v = ParseUint(t[0], 9);
  if (!v) {
    return Error(line, std::string(name) + " needs one non-negative integer, got " + Quote(rest),
                 "H1");
  }
  *value = *v;
  return Status::Ok();
}

Status Parser::WorkingDir(int line, std::string_view rest) {
  std::vector<std::string_view> t = Tokens(rest);
  if (t.size() != 1) return Error(line, "working-dir: needs one directory", "H1");
  conf_.working_dir = NormaliseWorkDir(t[0]);
  have_working_dir_ = true;
  return Status::Ok();
}

Status Parser::Grunt(int line, std::string_view text) {
  std::vector<std::string_view> t = Tokens(text);
  const std::string bad = "bad host line " + Quote(text);
  if (t.size() < 6) return Error(line, bad + ": want hostId, 4 ports and an ip or name", "H1");
  HostEntry h;
  h.line = line;
  std::optional<int32_t> id = ParseUint(t[0], 9);
  if (!id) return Error(line, bad + ": hostId " + Quote(t[0]) + " is not a number", "H1");
  h.id = *id;
  int32_t* ports[] = {&h.dns_port, &h.https_port, &h.http_port, &h.udp_port};
  for (int i = 0; i < 4; i++) {
    std::optional<int32_t> p = ParseUint(t[1 + i], 5);
    if (!p || *p > 65535) return Error(line, bad + ": bad port " + Quote(t[1 + i]), "H1");
    *ports[i] = *p;
  }
  size_t k = 5;
  if (!ValidName(t[k])) {
    return Error(line, bad + ": ip or name " + Quote(t[k]) + " is not 1-15 of [A-Za-z0-9.]", "H1");
  }
  h.ip1 = std::string(t[k++]);
  h.ip2 = h.ip1;
  if (k < t.size() && t[k][0] != '/') {
    if (!ValidName(t[k])) {
      return Error(line, bad + ": ip or name " + Quote(t[k]) + " is not 1-15 of [A-Za-z0-9.]",
                   "H1");
    }
    h.ip2 = std::string(t[k++]);
  }
  std::string_view raw_dir;
  if (k < t.size()) {
    raw_dir = t[k++];
    if (raw_dir[0] != '/') {
      return Error(line,
                   "host " + std::to_string(h.id) + ": workdir " + Quote(raw_dir) + " is relative",
                   "H4");
    }
  } else if (have_working_dir_) {
    raw_dir = conf_.working_dir;
  } else {
    return Error(line,
                 "host " + std::to_string(h.id) + " has no workdir and no working-dir: precedes it",
                 "H4");
  }
  for (; k < t.size(); k++) {
    if (!h.note.empty()) h.note += ' ';
    h.note += t[k];
  }
  h.workdir = NormaliseWorkDir(raw_dir);
  if (h.workdir.empty() || h.workdir[0] != '/') {
    return Error(line,
                 "host " + std::to_string(h.id) + ": workdir " + Quote(h.workdir) + " is relative",
                 "H4");
  }
  if (raw_dir.size() > kMaxWorkDirLength ||
      (h.workdir.size() > 1 && h.workdir.size() + 1 > kMaxWorkDirLength)) {
    return Error(line,
                 "host " + std::to_string(h.id) + ": workdir is longer than " +
                     std::to_string(kMaxWorkDirLength) + " characters with its trailing '/'",
                 "H4");
  }
  const int32_t index = static_cast<int32_t>(conf_.hosts.size());
  if (h.id != index) {
    return Error(line,
                 "hostId " + std::to_string(h.id) + " of grunt " + std::to_string(index) +
                     " should be " + std::to_string(index),
                 "H5");
  }
  conf_.hosts.push_back(std::move(h));
  return Status::Ok();
}

Result<HostsConf> Parser::Run(std::string_view text) {
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    line_no++;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    if (line.empty()) continue;

    if (line.starts_with("num-mirrors:")) {
      RETURN_IF_ERROR(Directive(line_no, line.substr(12), "num-mirrors:", &num_mirrors_));
    } else if (line.starts_with("index-splits:")) {
      RETURN_IF_ERROR(Directive(line_no, line.substr(13), "index-splits:", &index_splits_));
    } else if (line.starts_with("working-dir:")) {
      RETURN_IF_ERROR(WorkingDir(line_no, line.substr(12)));
    } else if (line.starts_with("port-offset:")) {
      // Obsolete; GB ignores it.
    } else if (StartsWithNoCase(line, "spare") || StartsWithNoCase(line, "proxy") ||
               StartsWithNoCase(line, "qcproxy") || StartsWithNoCase(line, "scproxy")) {
      // Not shard members.
    } else if (IsConfDigit(line.front())) {
      RETURN_IF_ERROR(Grunt(line_no, line));
    } else {
      return Error(line_no, "bad line " + Quote(line), "H1");
    }
  }

  const int32_t grunts = static_cast<int32_t>(conf_.hosts.size());
  if (num_mirrors_ >= 0) {
    // int64: num_mirrors_ + 1 cannot overflow.
    conf_.num_shards = static_cast<int32_t>(grunts / (int64_t{num_mirrors_} + 1));
  } else if (index_splits_ >= 0) {
    conf_.num_shards = index_splits_;
  } else {
    return Error(0, "neither num-mirrors: nor index-splits: is given", "H2");
  }
  // GB: with index-splits and no grunts, numMirrors = 0/S - 1 < 0 ("need num-mirrors: or
  // index-splits: (2)"); we report it, and every other shard-less file, as H2.
  if (conf_.num_shards < 1 || grunts == 0) {
    return Error(0,
                 "no shards: " + std::to_string(grunts) + " hosts, " +
                     (num_mirrors_ >= 0 ? "num-mirrors: " + std::to_string(num_mirrors_)
                                        : "index-splits: " + std::to_string(index_splits_)),
                 "H2");
  }
  if (grunts % conf_.num_shards != 0) {
    return Error(0,
                 std::to_string(grunts) + " hosts is not a multiple of " +
                     std::to_string(conf_.num_shards) + " shards",
                 "H3");
  }
  conf_.num_mirrors = grunts / conf_.num_shards - 1;
  for (int32_t i = 0; i < grunts; i++) conf_.hosts[i].shard = i % conf_.num_shards;
  return std::move(conf_);
}

}  // namespace

Result<HostsConf> ParseHostsConf(std::string_view text, std::string_view file_name) {
  Parser p(file_name);
  return p.Run(text);
}

std::string FormatHostsConf(const HostsConf& conf) {
  std::string s =
      "# hosts.conf written by shardtool\n"
      "# hostId dnsClientPort httpsPort httpPort udpPort ip1 ip2 workdir [note]\n";
  s += "num-mirrors: " + std::to_string(conf.num_mirrors) + "\n";
  if (!conf.working_dir.empty()) s += "working-dir: " + conf.working_dir + "\n";
  for (const HostEntry& h : conf.hosts) {
    s += std::to_string(h.id) + " " + std::to_string(h.dns_port) + " " +
         std::to_string(h.https_port) + " " + std::to_string(h.http_port) + " " +
         std::to_string(h.udp_port) + " " + h.ip1 + " " + h.ip2 + " " + h.workdir;
    if (!h.note.empty()) s += " " + h.note;
    s += "\n";
  }
  return s;
}

}  // namespace shardtool
