// ASSERT_OK(expr) / EXPECT_OK(expr): expr is a Status or a Result<T>; on failure the message
// names the expression and prints the Status (its name and message), e.g.
//   ASSERT_OK(store.Update(change, 0)) << "while moving slots";
#pragma once

#include <gtest/gtest.h>

#include "base/status.h"

namespace shardtool::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <class T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// The predicate formatter behind ASSERT_OK and EXPECT_OK.
template <class T>
::testing::AssertionResult IsOkFormat(const char* text, const T& value) {
  const Status& s = StatusOf(value);
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text << " is not OK: " << s.ToString();
}

}  // namespace shardtool::testing

#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::shardtool::testing::IsOkFormat, expr)
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::shardtool::testing::IsOkFormat, expr)
