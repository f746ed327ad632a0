#include "acquire/placement_check.h"

namespace shardtool {
namespace {

std::string NameOf(std::string_view ns) {
  const size_t dot = ns.find('.');
  return std::string(dot == std::string_view::npos ? ns : ns.substr(dot + 1));
}

}  // namespace

Status StaleConfigError(const std::string& ns, const ShardVersion& received,
                        const ShardVersion& wanted, int32_t shard_id) {
  Status s = StaleConfigStatus(ns + ": placement changed: received shard version " +
                               received.ToString() + ", shard " + std::to_string(shard_id) +
                               " is at " + wanted.ToString() + " (refresh the catalog and retry)");
  s.With("ns", ns).With("received", received.ToString());
  if (wanted.is_unknown()) {
    s.WithNull("wanted");
  } else {
    s.With("wanted", wanted.ToString());
  }
  s.With("shardId", static_cast<int64_t>(shard_id));
  return s;
}

Status StaleDbVersionError(const std::string& db, const std::optional<DbVersion>& received,
                           const std::optional<DbVersion>& wanted) {
  Status s = StaleDbVersionStatus(
      "database " + db + ": received db version " + (received ? received->ToString() : "null") +
      ", the catalog has " + (wanted ? wanted->ToString() : "none (placement unknown)") +
      " (refresh the catalog and retry)");
  s.With("db", db);
  if (received) {
    s.With("received", received->ToString());
  } else {
    s.WithNull("received");
  }
  if (wanted) {
    s.With("wanted", wanted->ToString());
  } else {
    s.WithNull("wanted");
  }
  return s;
}

const CollectionEntry* TargetCollection(const CatalogSnapshot& snap, const ParsedRequest& req) {
  if (!req.by_uuid()) return snap.FindCollection(req.ns());
  const CollectionEntry* c = snap.FindCollectionByUuid(req.uuid);
  if (c == nullptr || c->db() != req.db) return nullptr;
  return c;
}

Status CheckDbVersion(const CatalogSnapshot& snap, const std::string& db,
                      const PlacementConcern& placement) {
  if (!placement.db_version) return Status::Ok();
  const DatabaseEntry* d = snap.FindDatabase(db);
  if (d == nullptr || !d->db_version) {
    return StaleDbVersionError(db, placement.db_version, std::nullopt);
  }
  if (*d->db_version != *placement.db_version) {
    return StaleDbVersionError(db, placement.db_version, d->db_version);
  }
  return Status::Ok();
}

Status CheckShardVersion(const CatalogSnapshot& snap, const std::string& ns,
                         const CollectionEntry* c, bool is_view,
                         const PlacementConcern& placement) {
  if (!placement.shard_version) return Status::Ok();
  const ShardVersion& r = *placement.shard_version;
  const int32_t shard = snap.this_shard();
  if (c == nullptr) {
    // Absent, or a view (whose version counts as UNTRACKED).
    (void)is_view;
    if (r.is_untracked() || r.is_ignored()) return Status::Ok();
    return StaleConfigError(ns, r, ShardVersion::Untracked(), shard);
  }
  const ShardVersion& w = snap.CurrentVersion(*c);
  if (w.is_unknown()) return StaleConfigError(ns, r, w, shard);
  if (r.is_ignored()) return Status::Ok();
  if (r.is_untracked()) {
    if (w.is_untracked()) return Status::Ok();
    return StaleConfigError(ns, r, w, shard);
  }
  if (w.is_untracked() || !SameGeneration(r, w) || r.version().major != w.version().major) {
    return StaleConfigError(ns, r, w, shard);
  }
  return Status::Ok();
}

Result<Resolution> CheckRequest(const CatalogSnapshot& snap, const ParsedRequest& req) {
  const PlacementConcern& placement = req.request.placement;
  // 3. dbVersion.
  RETURN_IF_ERROR(CheckDbVersion(snap, req.db, placement));

  Resolution res;
  const CollectionEntry* c = nullptr;
  const ViewEntry* v = nullptr;
  if (req.by_uuid()) {
    // 4. By uuid.
    c = TargetCollection(snap, req);
    if (c == nullptr) {
      Status s =
          NamespaceNotFoundStatus("no collection with uuid " + req.uuid + " in database " + req.db);
      s.With("db", req.db).With("uuid", req.uuid);
      return s;
    }
    if (placement.shard_version && !placement.shard_version->is_untracked()) {
      Status s = IncompatibleShardingMetadataStatus(
          c->ns + ": a collection acquired by uuid takes no shard version but UNTRACKED (sent " +
          placement.shard_version->ToString() + ")");
      s.With("db", req.db).With("uuid", req.uuid).With("ns", c->ns);
      return s;
    }
    res.ns = c->ns;
  } else {
    res.ns = req.ns();
    c = snap.FindCollection(res.ns);
    if (c == nullptr) v = snap.FindView(res.ns);
  }

  // 5. expectedUUID.
  if (req.expected_uuid && (c == nullptr || c->uuid != *req.expected_uuid)) {
    const CollectionEntry* holder = snap.FindCollectionByUuid(*req.expected_uuid);
    std::string actual_text = holder ? holder->ns : std::string("no collection");
    Status s = CollectionUUIDMismatchStatus(res.ns + " is not the collection with uuid " +
                                            *req.expected_uuid + " (that is " + actual_text + ")");
    s.With("db", req.db)
        .With("collectionUUID", *req.expected_uuid)
        .With("expectedCollection", req.name);
    if (holder != nullptr && holder->db() == req.db) {
      s.With("actualCollection", NameOf(holder->ns));
    } else {
      s.WithNull("actualCollection");
    }
    return s;
  }

  // 6. Views.
  if (v != nullptr) {
    if (req.request.view_mode == ViewMode::kMustBeCollection) {
      Status s = CommandNotSupportedOnViewStatus(res.ns + " is a view (on " + v->view_on +
                                                 "); this command needs a collection");
      s.With("ns", res.ns);
      return s;
    }
  }

  // 7. shardVersion.
  RETURN_IF_ERROR(CheckShardVersion(snap, res.ns, c, v != nullptr, placement));

  if (c != nullptr) {
    res.kind = TargetKind::kCollection;
    res.collection = c;
    res.sharded_description = placement.shard_version.has_value() && c->sharded;
  } else if (v != nullptr) {
    res.kind = TargetKind::kView;
    res.view = v;
  } else {
    res.kind = TargetKind::kAbsent;
  }
  return res;
}

}  // namespace shardtool
