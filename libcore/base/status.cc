#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace shardtool {
namespace {

struct CodeEntry {
  ErrorCode code;
  std::string_view name;
  int exit_status;
};

constexpr CodeEntry kCodes[] = {
#define ERROR_CODE(name, number, exit_status) {ErrorCode::k##name, #name, exit_status},
#include "base/error_codes.def"
#undef ERROR_CODE
};

const CodeEntry* Find(ErrorCode code) {
  for (const auto& e : kCodes) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

const std::string kEmpty;
const std::vector<ErrorInfo> kNoInfo;

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  const CodeEntry* e = Find(code);
  return e ? e->name : "InternalError";
}

int ErrorCodeExitStatus(ErrorCode code) {
  const CodeEntry* e = Find(code);
  return e ? e->exit_status : 70;
}

std::vector<ErrorCode> AllErrorCodes() {
  std::vector<ErrorCode> out;
  for (const auto& e : kCodes) out.push_back(e.code);
  return out;
}

Status::Status(ErrorCode code, std::string message) {
  if (code != ErrorCode::kOk) rep_ = std::make_unique<Rep>(Rep{code, std::move(message), {}});
}

Status::Status(const Status& other) {
  if (other.rep_) rep_ = std::make_unique<Rep>(*other.rep_);
}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

const std::string& Status::message() const { return rep_ ? rep_->message : kEmpty; }
const std::vector<ErrorInfo>& Status::info() const { return rep_ ? rep_->info : kNoInfo; }

Status& Status::With(std::string name, std::string value) {
  if (rep_) rep_->info.push_back({std::move(name), std::move(value)});
  return *this;
}

Status& Status::With(std::string name, int64_t value) {
  if (rep_) rep_->info.push_back({std::move(name), value});
  return *this;
}

Status& Status::WithNull(std::string name) {
  if (rep_) rep_->info.push_back({std::move(name), std::monostate{}});
  return *this;
}

Status& Status::Prefix(std::string_view context) {
  if (rep_) rep_->message = std::string(context) + ": " + rep_->message;
  return *this;
}

std::string Status::ToString() const {
  if (!rep_) return "Ok";
  return std::string(name()) + ": " + rep_->message;
}

Status ErrnoStatus(int err, std::string_view op, std::string_view path) {
  std::string msg = std::string(op) + " " + std::string(path) + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:  // no file has such a name (a hostile or mistyped argument), exit 3
      return NotFoundStatus(std::move(msg));
    case ENOSPC:
    case EDQUOT:
      return NoSpaceStatus(std::move(msg));
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDeniedStatus(std::move(msg));
    case EWOULDBLOCK:
      return BusyStatus(std::move(msg));
    default:
      return IOErrorStatus(std::move(msg));
  }
}

}  // namespace shardtool
