// Strict parsing of shardtool's own JSON state files (catalog, leases, journals, ledgers,
// bookmarks, bundle manifests). shardtool writes only integers in them, and every reader takes
// its numbers with get<int...>(); nlohmann converts a float to an integer with a plain cast, which
// is undefined behaviour when the float is out of range (the fuzzers found {"pid": 4.14e37}). So
// a number with a fraction or an exponent makes the whole file unreadable here, before any reader
// sees it. Internal: included by .cc files only (no libcore interface exposes JSON types).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shardtool {

// The document, or a discarded value when the text is not JSON or holds a non-integer number.
template <class J>
J ParseStateJson(std::string_view text) {
  bool non_integer = false;
  typename J::parser_callback_t cb = [&](int, typename J::parse_event_t event, J& v) {
    if (event == J::parse_event_t::value && v.is_number_float()) non_integer = true;
    return true;
  };
  J j = J::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (non_integer) return J(J::value_t::discarded);
  return j;
}

// The same, or Corruption whose message says why the text is not one: nlohmann's parse error
// (caught right here, at the boundary), or "[json.exception.other_error.599] a number is not an
// integer".
template <class J>
Result<J> ParseStateJsonChecked(std::string_view text) {
  J j = ParseStateJson<J>(text);
  if (!j.is_discarded()) return j;
  try {
    const J again = J::parse(text.begin(), text.end());
    (void)again;
  } catch (const typename J::exception& e) {
    return CorruptionStatus(e.what());
  }
  return CorruptionStatus("[json.exception.other_error.599] a number is not an integer");
}

}  // namespace shardtool
