#include "format/key.h"

#include <vector>

#include "base/hex.h"

namespace shardtool {

Result<Key> Key::FromHex(std::string_view hex, int ks) {
  std::vector<uint8_t> bytes;
  if (!ParseHex(hex, &bytes) || bytes.size() != static_cast<size_t>(ks)) {
    return UsageErrorStatus("bad key '" + std::string(hex) + "': want " + std::to_string(2 * ks) +
                            " hex digits");
  }
  Key k(ks);
  for (int i = 0; i < ks; i++)
    k.bytes_[static_cast<size_t>(i)] = bytes[static_cast<size_t>(ks - 1 - i)];
  return k;
}

bool Key::Increment() {
  if (IsMax()) return false;
  for (int i = 0; i < size_; i++) {
    if (++bytes_[static_cast<size_t>(i)] != 0) break;
  }
  return true;
}

bool Key::Decrement() {
  if (IsMin()) return false;
  for (int i = 0; i < size_; i++) {
    if (bytes_[static_cast<size_t>(i)]-- != 0) break;
  }
  return true;
}

bool Key::IsMin() const {
  for (int i = 0; i < size_; i++) {
    if (bytes_[static_cast<size_t>(i)] != 0) return false;
  }
  return true;
}

bool Key::IsMax() const {
  for (int i = 0; i < size_; i++) {
    if (bytes_[static_cast<size_t>(i)] != 0xff) return false;
  }
  return true;
}

std::string Key::ToHex() const { return HexReversed(data(), static_cast<size_t>(size_)); }

std::string KeyHex(const uint8_t* key, int ks) { return HexReversed(key, static_cast<size_t>(ks)); }

}  // namespace shardtool
