// InspectViewRecords (inspect_key.h): a view's records as a reader sees them.
#include <memory>

#include "catalog/discovery.h"
#include "catalog/namespace.h"
#include "iter/data_file.h"
#include "iter/file_stream.h"
#include "iter/merging_iterator.h"
#include "jobs/inspect/inspect_key.h"

namespace shardtool {

Result<ViewReport> InspectViewRecords(
    FileSystem* fs, const std::string& workdir, const Catalog& catalog,
    const ViewRecordsOptions& opt,
    const std::function<void(const RdbInfo&, const std::string& file, const RecordEntry&)>& fn) {
  if (!ParseNamespace(opt.view)) {
    return InvalidNamespaceStatus("'" + opt.view + "' is not a valid namespace <db>.<name>")
        .With("input", opt.view);
  }
  const ViewEntry* v = catalog.FindView(opt.view);
  if (v == nullptr) {
    return NamespaceNotFoundStatus("no view " + opt.view + " in the catalog" +
                                   (catalog.FindCollection(opt.view) != nullptr
                                        ? " (it is a collection: give a data file instead)"
                                        : ""))
        .With("db", std::string(NamespaceDb(opt.view)))
        .WithNull("uuid");
  }
  const CollectionEntry* c = catalog.FindCollection(v->view_on);
  const DatabaseEntry* db = catalog.FindDatabase(NamespaceDb(v->view_on));
  const RdbInfo* rdb = c != nullptr ? FindRdb(c->rdb) : nullptr;
  if (c == nullptr || db == nullptr || rdb == nullptr) {
    return NamespaceNotFoundStatus(opt.view + ": the collection it shows, " + v->view_on +
                                   ", is not in the catalog")
        .With("db", std::string(NamespaceDb(opt.view)))
        .WithNull("uuid");
  }
  const int ks = rdb->key_size;
  ViewReport r;
  r.view = v->ns;
  r.view_on = v->view_on;
  r.rdb = c->rdb;
  r.key_min = v->key_min;
  r.key_max = v->key_max;
  // Bounds: [max(view min, start), min(view max exclusive, end inclusive)].
  ASSIGN_OR_RETURN(Key lo, Key::FromHex(v->key_min, ks));
  ASSIGN_OR_RETURN(Key hi_excl, Key::FromHex(v->key_max, ks));
  if (!opt.start_hex.empty()) {
    ASSIGN_OR_RETURN(Key s, Key::FromHex(opt.start_hex, ks));
    if (s > lo) lo = s;
  }
  std::optional<Key> end_incl;
  if (!opt.end_hex.empty()) {
    ASSIGN_OR_RETURN(Key e, Key::FromHex(opt.end_hex, ks));
    end_incl = e;
  }

  const std::string dir = JoinPath(workdir, db->DirName());
  std::vector<std::unique_ptr<DataFile>> opened;
  std::vector<std::unique_ptr<FileStream>> streams;
  std::vector<RecordStream*> inputs;
  std::vector<std::string> names;
  OpenDataFileOptions o;
  o.default_part_size = c->part_size;
  o.rdb = rdb;
  // No lease and no lock: a file listed may be retired and deleted by a merge before it is
  // opened; then the set is listed again. Once open, a file stays readable (POSIX).
  for (int attempt = 1;; attempt++) {
    opened.clear();
    names.clear();
    ASSIGN_OR_RETURN(auto files, ListCommittedFiles(fs, workdir, catalog, *c));
    Status st;
    for (const CommittedFile& f : files) {
      auto df = OpenDataFile(fs, dir, f.name, nullptr, o, nullptr);
      if (!df.ok()) {
        st = df.status();
        break;
      }
      opened.push_back(std::make_unique<DataFile>(std::move(*df)));
      names.push_back(JoinPath(db->DirName(), f.name));
    }
    if (st.ok()) break;
    if (st.code() != ErrorCode::kNotFound || attempt == 3) return st;
  }
  for (const auto& df : opened) {
    streams.push_back(std::make_unique<FileStream>(df.get(), size_t{1} << 20));
    inputs.push_back(streams.back().get());
  }
  r.files = names;
  if (inputs.empty()) return r;
  MergingIterator it(inputs, ks);
  // Seek takes full keys: start at the negative form so that a winning negative at lo shows.
  const Key seek = lo.Negative();
  for (it.Seek(seek.data()); it.Valid(); it.Next()) {
    const Record& rec = it.record();
    if (CompareKeysNegEq(rec.key, hi_excl.data(), ks) >= 0) break;
    if (end_incl && CompareKeysNegEq(rec.key, end_incl->data(), ks) > 0) break;
    const auto* src = static_cast<const PositionedStream*>(inputs[it.source()]);
    fn(*rdb, names[it.source()],
       RecordEntry{src->offset(), rec.key, rec.negative, rec.data_size, rec.data});
    r.records++;
    if (opt.limit != 0 && static_cast<uint64_t>(r.records) >= opt.limit) break;
  }
  RETURN_IF_ERROR(it.status());
  for (const auto& s : streams) RETURN_IF_ERROR(s->status());
  r.shadowed = static_cast<int64_t>(it.shadowed());
  return r;
}

}  // namespace shardtool
