// Orphan bundles never shadow what the receiving host holds (issue 16 item 3; doc/format.md §10.2
// as refined in doc/format-notes.md, "ingest of orphan bundles").
//
// Gigablast's newest-wins is by file order: the highest file id wins. An ingested bundle becomes
// the newest file(s) of the collection, so an orphan record whose key the host already holds would
// shadow the host's version, although the host received that version after the slot moved to it
// (the orphan is the copy left behind on the old owner). No lower id can be given to the bundle's
// file in general (ids are odd, the oldest is usually 1), so the records are filtered instead: a
// record of an orphan bundle is dropped when any data file of the Rdb in the collection dir holds
// a version of its key, positive or negative (cmpNegEq). What is left has no other version on the
// host, so its position in the file order does not matter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/rdb_registry.h"
#include "io/file_system.h"
#include "jobs/import/import_target.h"

namespace shardtool {

// Removes from *refs (sorted, distinct under cmpNegEq) every record whose key, in either form, is
// in a data file of `rdb` in db_dir (every file on disk, committed or not: when in doubt, keep
// the host's; an unfinished merge target is left to its inputs). Files are read through their maps
// (one page per key), or scanned whole when that is cheaper or the map is not usable. Returns the
// number of records removed. Corruption when a host file cannot be read far enough to decide.
Result<int64_t> DropKeysHeldByHost(FileSystem* fs, const std::string& db_dir, const RdbInfo& rdb,
                                   uint64_t part_size, std::vector<TargetRecordRef>* refs);

}  // namespace shardtool
