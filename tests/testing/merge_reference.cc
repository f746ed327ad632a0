#include "testing/merge_reference.h"

#include <map>

namespace shardtool::testing {

void VectorStream::Set(size_t pos) {
  pos_ = pos;
  if (pos_ >= fail_at_ && status_.ok()) status_ = fail_;
  if (!Valid()) return;
  const TestRecord& r = (*recs_)[pos_];
  rec_.key = r.key.data();
  rec_.negative = r.key.negative();
  rec_.data = r.data.empty() ? nullptr : reinterpret_cast<const uint8_t*>(r.data.data());
  rec_.data_size = static_cast<uint32_t>(r.data.size());
}

void VectorStream::Seek(const uint8_t* target) {
  size_t p = 0;
  const int ks = recs_->empty() ? 0 : (*recs_)[0].key.size();
  while (p < recs_->size() && CompareKeys((*recs_)[p].key.data(), target, ks) < 0) p++;
  Set(p);
}

std::vector<TestRecord> ReferenceMerge(const RdbInfo& rdb,
                                       const std::vector<std::vector<TestRecord>>& inputs,
                                       const ReferenceOptions& opt,
                                       std::vector<TestRecord>* dropped) {
  const int ks = rdb.key_size;
  const uint8_t mask = NegEqMask(ks);
  // The cmpNegEq class of a key: byte 0 masked.
  auto class_of = [&](const Key& k) {
    Key c = k;
    c.data()[0] &= mask;
    return c;
  };
  std::map<Key, std::pair<size_t, TestRecord>> best;  // class -> (input, record)
  for (size_t i = 0; i < inputs.size(); i++) {
    std::map<Key, bool> seen_here;
    for (const TestRecord& r : inputs[i]) {
      const Key c = class_of(r.key);
      if (seen_here.count(c)) continue;  // within one input the first version counts
      seen_here[c] = true;
      auto it = best.find(c);
      if (it == best.end() || it->second.first <= i) best[c] = {i, r};
    }
  }
  std::vector<TestRecord> out;
  for (auto& [c, v] : best) {
    const TestRecord& r = v.second;
    if (opt.drop && opt.drop(r.key)) {
      if (dropped) dropped->push_back(r);
      continue;
    }
    if (r.key.negative() && opt.drop_negatives) continue;
    out.push_back(r);
  }
  return out;
}

}  // namespace shardtool::testing
