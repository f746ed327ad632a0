#include <algorithm>
#include <cerrno>

#include "io/file_system.h"

namespace shardtool {

Result<std::string> ReadFileToString(FileSystem* fs, const std::string& path, uint64_t max_size) {
  ASSIGN_OR_RETURN(auto file, fs->OpenForRead(path));
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size > max_size) {
    return CorruptionStatus(path + ": file of " + std::to_string(size) + " bytes is larger than " +
                            std::to_string(max_size) + " allowed");
  }
  std::string out(size, '\0');
  RETURN_IF_ERROR(ReadFully(file.get(), 0, size, reinterpret_cast<uint8_t*>(out.data())));
  return out;
}

Status ReadFully(RandomAccessFile* file, uint64_t offset, size_t n, uint8_t* dst) {
  size_t done = 0;
  int zero_reads = 0;
  while (done < n) {
    size_t got = 0;
    RETURN_IF_ERROR(file->Read(offset + done, n - done, dst + done, &got));
    if (got == 0) {
      // A read of 0 bytes is the end of the file; anything short is retried by the loop.
      if (++zero_reads >= 1) {
        return CorruptionStatus(file->path() + ": truncated: wanted " + std::to_string(n) +
                                " bytes at offset " + std::to_string(offset) + ", file ends at " +
                                std::to_string(offset + done));
      }
    }
    done += got;
  }
  return Status::Ok();
}

bool SameStamp(const FileStat& a, const FileStat& b) {
  return a.dev == b.dev && a.inode == b.inode && a.size == b.size && a.mtime_ns == b.mtime_ns &&
         a.ctime_ns == b.ctime_ns && a.is_dir == b.is_dir;
}

bool StampSettled(const FileStat& st, int64_t now_micros, int64_t margin_micros) {
  const int64_t changed_micros = std::max(st.mtime_ns, st.ctime_ns) / 1000 + 1;
  return changed_micros + margin_micros <= now_micros;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty() || a == ".") return std::string(b);
  if (!b.empty() && b.front() == '/') return std::string(b);
  std::string s(a);
  if (s.back() != '/') s += '/';
  s += b;
  return s;
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace shardtool
