// `inspect key` and `inspect records --view` (doc/architecture.md §4): where a key lives, and what
// a reader of a view sees. Both read the committed files of one collection on this host (no lock,
// no lease, nothing written) through the files' maps.
//
// inspect key: the query is one key (both its versions: the delbit and posdb's compression bits
// are ignored), a docId (titledb and clusterdb: the docId's key range; posdb, indexdb, linkdb: a
// scan that filters on the decoded docId) or a termId (posdb, indexdb: the termId's key range),
// or a termId and a docId together. The report gives each distinct key found, its slot and owning
// shard with that shard's hosts, and its versions in every committed file, newest file first; the
// newest version is the one a reader sees (a negative one: the key reads as deleted). For a
// titledb query, positive versions can carry their decompressed page.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "io/file_system.h"
#include "jobs/inspect/inspect_job.h"

namespace shardtool {

struct KeyQuery {
  std::string database, rdb;
  std::string key_hex;             // one key, or
  std::optional<uint64_t> docid;   // a docId and/or
  std::optional<uint64_t> termid;  // a termId
  bool payload = false;            // titledb: inflate positive versions' pages
  uint64_t payload_limit = 0;      // keep the first N bytes (0: all)
  uint64_t max_keys = 1000;        // stop after this many distinct keys
};

struct KeyHost {
  int32_t id = 0;
  std::string ip, workdir;
};

struct KeyVersionInfo {
  std::string file;  // relative to the working dir
  int32_t file_id = 0;
  uint64_t offset = 0;
  std::string key;  // hex, as stored (delbit included)
  bool negative = false;
  uint32_t data_size = 0;
  bool seen = false;  // the newest version: what a reader gets
  // Payload (titledb, positive, when asked).
  bool has_payload = false;
  uint64_t payload_size = 0;  // inflated size
  std::string payload;        // first payload_limit bytes
  std::string payload_error;
};

struct KeyEntry {
  std::string key;       // hex of the positive form
  int32_t slot = -1;     // -1: not shardable
  int32_t owner = -1;    // owning shard, -1: unknown or not sharded
  bool owned = true;     // by this host's shard
  bool visible = false;  // the newest version is positive
  std::vector<std::pair<std::string, uint64_t>> fields;
  std::vector<KeyVersionInfo> versions;  // newest file first
};

struct KeyReport {
  std::string database, ns, rdb, query;  // query: what was asked, in words
  std::string range_first, range_last;   // the key range read (hex)
  bool scanned = false;                  // whole files scanned (docId of a termId-first Rdb)
  int32_t host_id = 0, shard = 0;
  bool sharded = false;
  std::string shard_version;
  int32_t slot = -1;  // the query's slot when it has one (a key, a titledb or clusterdb docId)
  int32_t owner = -1;
  std::vector<KeyHost> owner_hosts;
  std::vector<std::string> files;  // the files read, newest first
  std::vector<KeyEntry> keys;      // ascending
  bool truncated = false;          // max_keys reached
};

// UsageError for a bad query (no key form, both KEY and --docid, a bad hex key, a --docid or
// --termid the Rdb has no such field for, --payload outside titledb); InvalidNamespace /
// NamespaceNotFound for the database or collection; CommandNotSupportedOnView for a view.
Result<KeyReport> InspectKey(FileSystem* fs, const std::string& workdir, const Catalog& catalog,
                             const KeyQuery& q);

struct ViewRecordsOptions {
  std::string view;                // "<db>.<name>"
  std::string start_hex, end_hex;  // further bounds inside the view's range (inclusive)
  uint64_t limit = 0;
};

struct ViewReport {
  std::string view, view_on, rdb, key_min, key_max;
  std::vector<std::string> files;  // committed files read, oldest first
  int64_t records = 0;             // records listed
  int64_t shadowed = 0;            // older versions hidden by newer ones
};

// The records a reader of the view sees: the committed files of viewOn merged (newest version of
// each key wins, Gigablast's merge semantics), keys in [keyRange.min, keyRange.max). Winning
// negatives are listed (negative = true: the key reads as deleted). `fn` gets each record with the
// file it comes from. NamespaceNotFound when V is not a view.
Result<ViewReport> InspectViewRecords(
    FileSystem* fs, const std::string& workdir, const Catalog& catalog,
    const ViewRecordsOptions& opt,
    const std::function<void(const RdbInfo&, const std::string& file, const RecordEntry&)>& fn);

}  // namespace shardtool
