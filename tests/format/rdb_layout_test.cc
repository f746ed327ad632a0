// VisitRdbLayout's compile-time layouts must be exactly the registry's (doc/format.md §2).
#include <gtest/gtest.h>

#include "format/record_decoder_inl.h"

namespace shardtool {
namespace {

TEST(RdbLayout, CompileTimeLayoutsMatchTheRegistry) {
  for (const RdbInfo& rdb : AllRdbs()) {
    VisitRdbLayout(rdb, [&](auto ks, auto kind, auto comp, auto form) {
      EXPECT_EQ(ks.value, rdb.key_size) << rdb.name;
      EXPECT_EQ(kind.value, rdb.slot_kind) << rdb.name;
      EXPECT_EQ(comp.value, rdb.compression) << rdb.name;
      const int want =
          rdb.fixed_data_size < 0
              ? codec_detail::kDataVariable
              : (rdb.fixed_data_size == 0 ? codec_detail::kDataNone : codec_detail::kDataFixed);
      EXPECT_EQ(form.value, want) << rdb.name;
    });
  }
}

}  // namespace
}  // namespace shardtool
