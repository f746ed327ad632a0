#include "iter/merging_iterator.h"

#include <memory>

namespace shardtool {
namespace {

// The virtual face of one MergingIteratorT instantiation.
class AnyMerge {
 public:
  virtual ~AnyMerge() = default;
  virtual void SeekToFirst() = 0;
  virtual void Seek(const uint8_t* target) = 0;
  virtual void Start() = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual const Record& record() const = 0;
  virtual size_t source() const = 0;
  virtual uint64_t shadowed() const = 0;
  virtual const Status& status() const = 0;
};

template <int KS>
class MergeOf final : public AnyMerge {
 public:
  explicit MergeOf(std::vector<RecordStream*> inputs) : it_(std::move(inputs)) {}
  void SeekToFirst() override { it_.SeekToFirst(); }
  void Seek(const uint8_t* target) override { it_.Seek(target); }
  void Start() override { it_.Start(); }
  bool Valid() const override { return it_.Valid(); }
  void Next() override { it_.Next(); }
  const Record& record() const override { return it_.record(); }
  size_t source() const override { return it_.source(); }
  uint64_t shadowed() const override { return it_.shadowed(); }
  const Status& status() const override { return it_.status(); }

 private:
  MergingIteratorT<KS, RecordStream> it_;
};

}  // namespace

struct MergingIterator::Impl {
  std::unique_ptr<AnyMerge> merge;
};

MergingIterator::MergingIterator(std::vector<RecordStream*> inputs, int key_size)
    : impl_(new Impl) {
  switch (key_size) {
    case 12:
      impl_->merge = std::make_unique<MergeOf<12>>(std::move(inputs));
      break;
    case 16:
      impl_->merge = std::make_unique<MergeOf<16>>(std::move(inputs));
      break;
    case 18:
      impl_->merge = std::make_unique<MergeOf<18>>(std::move(inputs));
      break;
    case 24:
      impl_->merge = std::make_unique<MergeOf<24>>(std::move(inputs));
      break;
    default:
      impl_->merge = std::make_unique<MergeOf<28>>(std::move(inputs));
      break;
  }
}

MergingIterator::~MergingIterator() { delete impl_; }

void MergingIterator::SeekToFirst() { impl_->merge->SeekToFirst(); }
void MergingIterator::Seek(const uint8_t* target) { impl_->merge->Seek(target); }
void MergingIterator::Start() { impl_->merge->Start(); }
bool MergingIterator::Valid() const { return impl_->merge->Valid(); }
void MergingIterator::Next() { impl_->merge->Next(); }
const Record& MergingIterator::record() const { return impl_->merge->record(); }
size_t MergingIterator::source() const { return impl_->merge->source(); }
uint64_t MergingIterator::shadowed() const { return impl_->merge->shadowed(); }
const Status& MergingIterator::status() const { return impl_->merge->status(); }

}  // namespace shardtool
