// `shardtool inspect db|catalog|key`, `inspect records --view` (doc/architecture.md §4). Read-only:
// the catalog is read without a lock (it is only ever replaced by rename), nothing is written, and
// no lock that could block a merge is taken.
#include <charconv>
#include <ostream>

#include "catalog/catalog_store.h"
#include "commands/inspect_cmd.h"
#include "format/key_fields.h"
#include "jobs/inspect/inspect_db.h"
#include "jobs/inspect/inspect_key.h"
#include "render/inspect_render.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

Result<LoadedCatalog> LoadForInspect(Context& ctx, const GlobalOptions& g) {
  CatalogStore store(ctx.fs, g.workdir);
  auto loaded = store.Load();
  if (!loaded.ok()) {
    if (loaded.status().code() == ErrorCode::kNotFound) {
      return NotFoundStatus(store.path() + " does not exist: run `shardtool init` first");
    }
    return loaded.status();
  }
  if (g.host_id >= 0 && g.host_id != loaded->catalog.this_host) {
    return FailedPreconditionStatus("--host-id " + std::to_string(g.host_id) + " but " +
                                    store.path() + " belongs to host " +
                                    std::to_string(loaded->catalog.this_host));
  }
  return loaded;
}

Result<std::optional<uint64_t>> ParseU64(const std::string& name, const std::string& text) {
  if (text.empty()) return std::optional<uint64_t>();
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end) {
    return UsageErrorStatus(name + " " + text + ": not a decimal number");
  }
  return std::optional<uint64_t>(v);
}

}  // namespace

std::vector<CLI::App*> AddInspectStateCommands(CLI::App* inspect, InspectStateOptions* o) {
  CLI::App* db = inspect->add_subcommand(
      "db", "a database on this host: files, merges, retired files, leases, journals, quarantine");
  db->add_option("db", o->database, "the database (a Gigablast collection, e.g. main)")->required();
  inspect->add_subcommand("catalog",
                          "the catalog: cluster, databases, collections, chunks, versions, views");
  CLI::App* key = inspect->add_subcommand(
      "key", "where a key lives: slot, owner, and its versions in every file of this host");
  key->add_option("db", o->database, "the database")->required();
  key->add_option("KEY", o->key, "the key (hex, most significant byte first)");
  key->add_option("--rdb", o->rdb, "the collection's Rdb (titledb, posdb, ...)")->required();
  key->add_option("--docid", o->docid,
                  "every key of this docId (titledb, clusterdb; posdb, indexdb, linkdb: a scan)");
  key->add_option("--termid", o->termid, "every key of this termId (posdb, indexdb)");
  o->payload_option =
      key->add_option("--payload", o->payload,
                      "titledb: print the decompressed page of each positive version (or its first "
                      "N bytes)")
          ->expected(0, 1);
  return {db, inspect->get_subcommand("catalog"), key};
}

int RunInspectDb(Context& ctx, const GlobalOptions& g, const InspectStateOptions& o) {
  auto loaded = LoadForInspect(ctx, g);
  if (!loaded.ok()) return ReportError(ctx, g, loaded.status());
  InspectDbOptions opt;
  opt.now = ctx.fs->NowMicros() / 1000000;
  auto r = InspectDb(ctx.fs, g.workdir, loaded->catalog, o.database, opt);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    *ctx.out << DbReportJson(*r).dump(2) << "\n";
  } else {
    PrintDbReport(*ctx.out, *r, opt.now, g.verbose > 0);
  }
  return 0;
}

int RunInspectCatalog(Context& ctx, const GlobalOptions& g) {
  auto loaded = LoadForInspect(ctx, g);
  if (!loaded.ok()) return ReportError(ctx, g, loaded.status());
  const std::string path = "shardtool/catalog.json";
  if (g.json) {
    *ctx.out << CatalogInspectJson(path, loaded->catalog).dump(2) << "\n";
  } else {
    PrintCatalogInspect(*ctx.out, path, loaded->catalog, g.verbose > 0);
  }
  return 0;
}

int RunInspectKey(Context& ctx, const GlobalOptions& g, const InspectStateOptions& o) {
  KeyQuery q;
  q.database = o.database;
  q.rdb = o.rdb;
  q.key_hex = o.key;
  auto docid = ParseU64("--docid", o.docid);
  if (!docid.ok()) return ReportError(ctx, g, docid.status());
  auto termid = ParseU64("--termid", o.termid);
  if (!termid.ok()) return ReportError(ctx, g, termid.status());
  auto limit = ParseU64("--payload", o.payload);
  if (!limit.ok()) return ReportError(ctx, g, limit.status());
  q.docid = *docid;
  q.termid = *termid;
  q.payload = o.payload_option != nullptr && o.payload_option->count() > 0;
  q.payload_limit = limit->value_or(0);
  auto loaded = LoadForInspect(ctx, g);
  if (!loaded.ok()) return ReportError(ctx, g, loaded.status());
  auto r = InspectKey(ctx.fs, g.workdir, loaded->catalog, q);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    // A page is bytes: invalid UTF-8 is replaced rather than failing the document.
    *ctx.out << KeyReportJson(*r).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    PrintKeyReport(*ctx.out, *r);
  }
  return 0;
}

int RunInspectView(Context& ctx, const GlobalOptions& g, const std::string& view,
                   const std::string& start, const std::string& end, uint64_t limit) {
  auto loaded = LoadForInspect(ctx, g);
  if (!loaded.ok()) return ReportError(ctx, g, loaded.status());
  ViewRecordsOptions opt;
  opt.view = view;
  opt.start_hex = start;
  opt.end_hex = end;
  opt.limit = limit;
  Json records = Json::array();
  TextTable table({"file", "offset", "key", "neg", "size", "fields"});
  auto fn = [&](const RdbInfo& r, const std::string& file, const RecordEntry& e) {
    if (g.json) {
      records.push_back({{"file", file},
                         {"offset", e.offset},
                         {"key", KeyHex(e.key, r.key_size)},
                         {"negative", e.negative},
                         {"data_size", e.data_size},
                         {"fields", KeyFieldsJson(r, e.key)}});
      return;
    }
    std::string fields;
    for (const auto& [name, value] : DecodeKeyFields(r, e.key)) {
      fields += (fields.empty() ? "" : " ") + name + "=" + std::to_string(value);
    }
    table.AddRow({file, std::to_string(e.offset), KeyHex(e.key, r.key_size), e.negative ? "-" : "+",
                  std::to_string(e.data_size), fields});
  };
  auto r = InspectViewRecords(ctx.fs, g.workdir, loaded->catalog, opt, fn);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "inspect records";
    j["view"] = r->view;
    j["view_on"] = r->view_on;
    j["rdb"] = r->rdb;
    j["key_range"] = {{"min", r->key_min}, {"max", r->key_max}};
    j["files"] = r->files;
    j["shadowed"] = r->shadowed;
    j["records"] = records;
    *ctx.out << j.dump(2) << "\n";
  } else {
    *ctx.out << "view " << r->view << " on " << r->view_on << ", keys [" << r->key_min << ", "
             << r->key_max << "), " << r->files.size() << " files merged, newest version wins\n";
    table.Print(*ctx.out);
    *ctx.out << r->records << " records (" << r->shadowed << " older versions hidden)\n";
  }
  return 0;
}

}  // namespace shardtool
