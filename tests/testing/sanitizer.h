// Whether the tests run under AddressSanitizer, where a job costs about ten times more: campaigns
// that repeat a whole job per case take fewer cases there (Release runs them all).
#pragma once

namespace shardtool::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace shardtool::testing
