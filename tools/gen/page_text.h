// HTML-like page text for generated titledb records: deterministic from (seed, variant), with a
// size around avg_bytes (between half and one and a half times it), made of pseudo-words so that
// it compresses like real text.
#pragma once

#include <cstdint>
#include <string>

namespace shardtool::gen {

std::string MakePageText(uint64_t seed, uint64_t variant, int avg_bytes);

}  // namespace shardtool::gen
