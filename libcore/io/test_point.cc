#include "io/test_point.h"

#include <mutex>

namespace shardtool::testpoint {
namespace {
std::mutex& Mu() {
  static std::mutex mu;
  return mu;
}
Handler& Current() {
  static Handler h;
  return h;
}
}  // namespace

Handler SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(Mu());
  Handler old = std::move(Current());
  Current() = std::move(handler);
  return old;
}

Status Hit(std::string_view name) {
  Handler h;
  {
    std::lock_guard<std::mutex> lock(Mu());
    h = Current();
  }
  if (!h) return Status::Ok();
  return h(name);
}

}  // namespace shardtool::testpoint
