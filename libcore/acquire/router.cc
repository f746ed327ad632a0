#include "acquire/router.h"

#include <set>

#include "acquire/placement_check.h"
#include "catalog/namespace.h"
#include "io/test_point.h"

namespace shardtool {
namespace {

std::string InfoString(const Status& s, std::string_view name) {
  for (const ErrorInfo& i : s.info()) {
    if (i.name == name) {
      if (const auto* v = std::get_if<std::string>(&i.value)) return *v;
    }
  }
  return "";
}

bool Retryable(const Status& s, const PlacementPins& pins) {
  if (s.code() == ErrorCode::kStaleDbVersion) return !pins.none && !pins.db_version;
  if (s.code() == ErrorCode::kStaleConfig) {
    return !pins.none && !pins.ignored && pins.shard_versions.count(InfoString(s, "ns")) == 0;
  }
  return false;
}

}  // namespace

Result<PlacementPins> ParsePlacementSpecs(const std::vector<std::string>& specs) {
  PlacementPins p;
  for (const std::string& spec : specs) {
    if (spec == "none") {
      p.none = true;
    } else if (spec == "ignored") {
      p.ignored = true;
    } else if (spec.rfind("db=", 0) == 0) {
      auto v = DbVersion::Parse(std::string_view(spec).substr(3));
      if (!v) {
        return UsageErrorStatus("--placement " + spec + ": want db=<uuid>/<lastMod>");
      }
      if (p.db_version) return UsageErrorStatus("--placement: db= given twice");
      p.db_version = *v;
    } else {
      const size_t eq = spec.find('=');
      if (eq == std::string::npos) {
        return UsageErrorStatus("--placement " + spec +
                                ": want none, ignored, db=<uuid>/<lastMod> or <ns>=<shard "
                                "version>");
      }
      const std::string ns = spec.substr(0, eq);
      if (!ParseNamespace(ns)) {
        Status s = InvalidNamespaceStatus("--placement " + spec + ": invalid namespace " + ns);
        s.With("input", ns);
        return s;
      }
      auto v = ShardVersion::Parse(std::string_view(spec).substr(eq + 1));
      if (!v) {
        return UsageErrorStatus("--placement " + spec +
                                ": want <epoch>/<timestamp>/<M>|<m>, UNTRACKED or IGNORED");
      }
      if (!p.shard_versions.emplace(ns, *v).second) {
        return UsageErrorStatus("--placement: " + ns + " given twice");
      }
    }
  }
  if (p.none && (p.ignored || p.db_version || !p.shard_versions.empty())) {
    return UsageErrorStatus("--placement none excludes every other --placement");
  }
  if (p.ignored && !p.shard_versions.empty()) {
    return UsageErrorStatus("--placement ignored excludes --placement <ns>=...");
  }
  return p;
}

Result<std::vector<AcquisitionRequest>> BuildCommandRequests(const CatalogSnapshot& snap,
                                                             const CommandAcquireRequest& req) {
  std::vector<AcquisitionRequest> out;
  for (const std::string& ns : req.namespaces) {
    AcquisitionRequest r = AcquisitionRequest::Ns(ns);
    r.operation = req.operation;
    r.view_mode = req.view_mode;
    r.lock_timeout_ms = req.lock_timeout_ms;
    if (!req.pins.none) {
      const std::string db(NamespaceDb(ns));
      if (req.pins.db_version) {
        r.placement.db_version = req.pins.db_version;
      } else if (const DatabaseEntry* d = snap.FindDatabase(db)) {
        if (!d->db_version) return StaleDbVersionError(db, std::nullopt, std::nullopt);
        r.placement.db_version = d->db_version;
      }
      // (A database the catalog does not have gets no dbVersion: there is nothing current.)
      if (req.pins.ignored) {
        r.placement.shard_version = ShardVersion::Ignored();
      } else if (auto it = req.pins.shard_versions.find(ns); it != req.pins.shard_versions.end()) {
        r.placement.shard_version = it->second;
      } else if (const CollectionEntry* c = snap.FindCollection(ns)) {
        const ShardVersion& w = snap.CurrentVersion(*c);
        // Unknown placement has no text: IGNORED makes step 7 answer StaleConfig{wanted: null}.
        r.placement.shard_version = w.is_unknown() ? ShardVersion::Ignored() : w;
      } else {
        r.placement.shard_version = ShardVersion::Untracked();  // absent, or a view
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<CollectionOrViewAcquisition>> AcquireForCommand(
    AcquisitionContext& ctx, const CommandAcquireRequest& req) {
  const std::set<std::string> wanted(req.namespaces.begin(), req.namespaces.end());
  for (const auto& [ns, v] : req.pins.shard_versions) {
    if (wanted.count(ns) == 0) {
      return UsageErrorStatus("--placement " + ns + "=...: " + ns + " is not acquired");
    }
  }
  const ShardRoleOptions& o = ctx.options();
  Status last;
  for (int attempt = 0; attempt < std::max(1, req.max_attempts); attempt++) {
    ASSIGN_OR_RETURN(std::shared_ptr<const CatalogSnapshot> snap, o.catalogs->Get(o.fs, o.workdir));
    TEST_POINT("router.after_catalog_read");
    auto requests = BuildCommandRequests(*snap, req);
    if (!requests.ok()) {
      if (!Retryable(requests.status(), req.pins)) return requests.status();
      last = requests.status();
      continue;
    }
    auto r = req.maybe_lock_free ? ctx.AcquireCollectionsOrViewsMaybeLockFree(*requests)
                                 : ctx.AcquireCollectionsOrViews(*requests);
    if (r.ok() || !Retryable(r.status(), req.pins)) return r;
    last = r.status();
  }
  return last;
}

}  // namespace shardtool
