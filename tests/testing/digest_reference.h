// The reference digest of a collection (the definition of collection_digest.h computed the plain
// way: one MergingIterator over the collection's files, reading each of them again), that the
// tests compare verify's same-pass digest with.
#pragma once

#include "jobs/verify/collection_digest.h"
#include "jobs/verify/verify_job.h"

namespace shardtool::testing {

// The digest of c's data_files (oldest first). Errors: the files' (a file that does not decode to
// its end, keys out of order: Corruption).
Result<CollectionDigest> ReferenceDigest(FileSystem* fs, const VerifyCollection& c);

}  // namespace shardtool::testing
