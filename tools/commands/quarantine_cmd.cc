// `shardtool quarantine list DB | export ENTRY --to DIR | drop ENTRY`: the records merge and import
// set aside (jobs/quarantine/quarantine_job.h). Exit 0 done, 2 usage, 3 no such entry or an entry
// of raw bytes (export), 7 I/O error, 8 a corrupt entry.
#include <ostream>

#include "acquire/catalog_cache.h"
#include "cli/command.h"
#include "jobs/quarantine/quarantine_job.h"
#include "render/json_render.h"

namespace shardtool {
namespace {

struct QuarantineCmdOptions {
  std::string which, database, entry, to;
};

Json Doc(const std::string& which) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = "quarantine " + which;
  return j;
}

int RunList(Context& ctx, const GlobalOptions& g, const QuarantineCmdOptions& o) {
  auto r = ListQuarantine(ctx.fs, g.workdir, o.database);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    Json j = Doc("list");
    j["database"] = o.database;
    Json entries = Json::array();
    for (const DbQuarantineInfo& q : *r) {
      entries.push_back({{"entry", q.entry},
                         {"readable", q.readable},
                         {"error", q.error},
                         {"kind", q.kind},
                         {"rdb", q.rdb},
                         {"created", q.created},
                         {"target_shard", q.target_shard},
                         {"records", {{"positive", q.positive}, {"negative", q.negative}}},
                         {"reasons", q.reasons},
                         {"sources", q.sources}});
    }
    j["entries"] = entries;
    *ctx.out << j.dump(2) << "\n";
  } else if (!g.quiet) {
    if (r->empty()) *ctx.out << "no quarantine entries of " << o.database << "\n";
    for (const DbQuarantineInfo& q : *r) {
      *ctx.out << q.entry << ": ";
      if (!q.readable) {
        *ctx.out << "unreadable (" << q.error << ")\n";
        continue;
      }
      *ctx.out << q.rdb << ", shard " << q.target_shard << ", " << q.positive << " positive and "
               << q.negative << " negative records";
      for (const std::string& reason : q.reasons) *ctx.out << ", " << reason;
      *ctx.out << "\n";
    }
  }
  return 0;
}

int RunChange(Context& ctx, const GlobalOptions& g, const QuarantineCmdOptions& o) {
  if (o.which == "drop") {
    auto r = DropQuarantine(ctx.fs, g.workdir, o.entry);
    if (!r.ok()) return ReportError(ctx, g, r.status());
    if (g.json) {
      Json j = Doc("drop");
      j["entry"] = r->entry;
      j["files_removed"] = r->files;
      *ctx.out << j.dump(2) << "\n";
    } else if (!g.quiet) {
      *ctx.out << "dropped " << r->entry << " (" << r->files << " files)\n";
    }
    return 0;
  }
  auto snap = CatalogCache::Process()->Get(ctx.fs, g.workdir);
  if (!snap.ok()) return ReportError(ctx, g, snap.status());
  auto r = ExportQuarantine(ctx.fs, g.workdir, (*snap)->catalog(), o.entry, ResolvePath(g, o.to));
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    Json j = Doc("export");
    j["entry"] = r->entry;
    j["bundle"] = r->bundle;
    j["target_shard"] = r->target_shard;
    j["records"] = {{"positive", r->positive}, {"negative", r->negative}};
    *ctx.out << j.dump(2) << "\n";
  } else if (!g.quiet) {
    *ctx.out << "exported " << r->entry << " to " << r->bundle << " (" << r->records
             << " records for shard " << r->target_shard
             << "): run `shardtool ingest` with it on a host of that shard\n";
  }
  return 0;
}

}  // namespace

CommandSpec QuarantineCommand() {
  return {"quarantine",
          "list quarantined records, export them as a bundle for ingest, or drop them (logged)",
          [](CLI::App* sub) -> CommandRun {
            auto o = std::make_shared<QuarantineCmdOptions>();
            sub->require_subcommand(1);
            CLI::App* list = sub->add_subcommand("list", "the quarantine entries of a database");
            list->add_option("database", o->database, "the database")->required();
            CLI::App* exp = sub->add_subcommand(
                "export", "an entry's records as an orphans bundle that ingest accepts");
            exp->add_option("entry", o->entry, "the entry (a name in shardtool/quarantine/)")
                ->required();
            exp->add_option("--to", o->to, "the directory the bundle is written to")->required();
            CLI::App* drop = sub->add_subcommand("drop", "remove an entry");
            drop->add_option("entry", o->entry, "the entry (a name in shardtool/quarantine/)")
                ->required();
            for (CLI::App* s : {list, exp, drop}) {
              s->final_callback([o, s]() { o->which = s->get_name(); });
            }
            return [o](Context& ctx, const GlobalOptions& g) -> int {
              if (o->which == "list") return RunList(ctx, g, *o);
              return RunChange(ctx, g, *o);
            };
          }};
}

}  // namespace shardtool
