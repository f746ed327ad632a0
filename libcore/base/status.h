// Status and Result<T>: how every fallible libcore function reports failure. libcore never throws.
//
// A Status is Ok or carries an ErrorCode (from the one table in error_codes.def), a message that
// locates the problem (file, page, offset, key, doc/format.md rule id) and optional named info
// fields that JSON renderers print (doc/acquisition.md §8). An Ok Status costs one null pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace shardtool {

enum class ErrorCode : int {
#define ERROR_CODE(name, number, exit_status) k##name = number,
#include "base/error_codes.def"
#undef ERROR_CODE
};

// Name of the code as printed ("StaleConfig"), and the process exit status for it
// (doc/architecture.md §5).
std::string_view ErrorCodeName(ErrorCode code);
int ErrorCodeExitStatus(ErrorCode code);
// All codes of the table, in number order (for docs and tests).
std::vector<ErrorCode> AllErrorCodes();

// A named info field of an error: a string, an integer, or null.
struct ErrorInfo {
  std::string name;
  std::variant<std::monostate, std::string, int64_t> value;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  ErrorCode code() const { return rep_ ? rep_->code : ErrorCode::kOk; }
  std::string_view name() const { return ErrorCodeName(code()); }
  const std::string& message() const;
  const std::vector<ErrorInfo>& info() const;
  int exit_status() const { return ErrorCodeExitStatus(code()); }

  // Adds an info field (no-op on Ok). Returns *this for chaining.
  Status& With(std::string name, std::string value);
  Status& With(std::string name, int64_t value);
  Status& WithNull(std::string name);
  // Prefixes the message with "context: " (no-op on Ok).
  Status& Prefix(std::string_view context);

  // "Name: message", or "Ok".
  std::string ToString() const;
  // Explicitly ignores a Status (for best-effort cleanup paths).
  void IgnoreError() const {}

 private:
  struct Rep {
    ErrorCode code;
    std::string message;
    std::vector<ErrorInfo> info;
  };
  std::unique_ptr<Rep> rep_;
};

// Shorthand constructors, one per code: UsageErrorStatus("..."), CorruptionStatus("..."), ...
#define ERROR_CODE(name, number, exit_status) \
  inline Status name##Status(std::string msg) { return Status(ErrorCode::k##name, std::move(msg)); }
#include "base/error_codes.def"
#undef ERROR_CODE

// Maps an errno value to a Status naming the operation and path ("open coll.main.0/x: No such
// ...").
Status ErrnoStatus(int err, std::string_view op, std::string_view path);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = InternalErrorStatus("Result constructed from an Ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace shardtool

#define ST_CONCAT_INNER(a, b) a##b
#define ST_CONCAT(a, b) ST_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::shardtool::Status st_status_ = (expr); \
    if (!st_status_.ok()) return st_status_; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(ST_CONCAT(st_result_, __LINE__), lhs, expr)
