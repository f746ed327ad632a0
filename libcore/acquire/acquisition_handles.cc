// Accessors of acquisition handles (doc/acquisition.md §4).
#include "acquire/acquisition_internal.h"

namespace shardtool {
namespace {

using acquire_internal::CallState;
using acquire_internal::Entry;

Status Usable(const std::shared_ptr<CallState>& call, const Entry* e) {
  if (call == nullptr) {
    return InternalErrorStatus("empty acquisition handle").With("what", "empty handle");
  }
  const ContextState st = call->ctx->state.load();
  if (st == ContextState::kActive && !call->released) return Status::Ok();
  return InternalErrorStatus("acquisition of " + e->ns + " is unusable while its context is " +
                             std::string(ContextStateName(st)) + " (doc/acquisition.md §7)")
      .With("what", "handle used in state " + std::string(ContextStateName(st)));
}

}  // namespace

const std::string& CollectionAcquisition::ns() const { return entry_->ns; }
bool CollectionAcquisition::exists() const { return entry_->kind == TargetKind::kCollection; }
OperationType CollectionAcquisition::operation() const { return entry_->req.request.operation; }
const PlacementConcern& CollectionAcquisition::placement() const {
  return entry_->req.request.placement;
}
bool CollectionAcquisition::lock_free() const { return call_->lock_free; }
Status CollectionAcquisition::CheckUsable() const { return Usable(call_, entry_); }

Result<std::string> CollectionAcquisition::uuid() const {
  RETURN_IF_ERROR(Usable(call_, entry_));
  if (!exists()) {
    return InternalErrorStatus(entry_->ns +
                               " does not exist: it has no uuid (doc/acquisition.md §3)")
        .With("what", "uuid of an absent collection");
  }
  return entry_->uuid;
}

const std::string& CollectionAcquisition::catalog_epoch() const { return entry_->catalog_epoch; }
uint64_t CollectionAcquisition::catalog_version() const { return entry_->catalog_version; }

Result<const LocalSnapshot*> CollectionAcquisition::snapshot() const {
  RETURN_IF_ERROR(Usable(call_, entry_));
  return &entry_->snapshot;
}

Result<const ShardingDescription*> CollectionAcquisition::sharding() const {
  RETURN_IF_ERROR(Usable(call_, entry_));
  return &entry_->description;
}

Result<const OwnershipFilter*> CollectionAcquisition::ownership_filter() const {
  RETURN_IF_ERROR(Usable(call_, entry_));
  return entry_->description.ownership_filter();
}

Result<std::shared_ptr<RandomAccessFile>> CollectionAcquisition::OpenPart(
    const std::string& part_name) const {
  RETURN_IF_ERROR(Usable(call_, entry_));
  for (const auto& [name, file] : entry_->open_parts) {
    if (name == part_name) return file;
  }
  for (const CommittedFile& f : entry_->snapshot.files) {
    for (const DataFilePart& p : f.parts) {
      if (p.name != part_name) continue;
      ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                       call_->ctx->opt.fs->OpenForRead(JoinPath(entry_->snapshot.dir, p.name)));
      return std::shared_ptr<RandomAccessFile>(std::move(file));
    }
  }
  return NotFoundStatus(part_name + " is not a part of " + entry_->ns + "'s snapshot");
}

std::string CollectionAcquisition::lease_name() const {
  return entry_->lease_written ? entry_->lease_name : std::string();
}

const std::string& ViewAcquisition::ns() const { return entry_->ns; }
const std::string& ViewAcquisition::view_on() const { return entry_->view->view_on; }
const std::string& ViewAcquisition::key_min() const { return entry_->view->key_min; }
const std::string& ViewAcquisition::key_max() const { return entry_->view->key_max; }
Status ViewAcquisition::CheckUsable() const { return Usable(call_, entry_); }

const std::string& CollectionOrViewAcquisition::ns() const {
  return is_view_ ? view_.ns() : collection_.ns();
}

}  // namespace shardtool
