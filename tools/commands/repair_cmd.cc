// `shardtool repair map FILE` / `shardtool repair sidecar FILE`: rebuild a data file's page map as
// Gigablast writes it, or write the checksum sidecar of a file that has none, after the file
// passed verify's deep check (jobs/repair/repair_job.h). Exit 0 written (or already right), 3 a
// headless file, a sidecar that exists, a merge target, 4 busy, 8 the file fails its check.
// `shardtool repair misplaced DB`: misplaced records out as bundles for their owners
// (jobs/repair/misplaced_job.h). Exit 0 done (or nothing misplaced), 4 busy or records kept by a
// lease, 9 stopped (a rerun continues).
#include <ostream>

#include "cli/command.h"
#include "cli/job_run.h"
#include "jobs/repair/misplaced_job.h"
#include "jobs/repair/repair_job.h"
#include "render/json_render.h"
#include "render/misplaced_render.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

struct RepairCmdOptions {
  std::string which, file;
  bool dry_run = false, force = false;
  std::string database, to;  // misplaced
  std::vector<std::string> rdbs;
};

int RunMisplacedCmd(Context& ctx, const GlobalOptions& g, const RepairCmdOptions& o) {
  MisplacedRequest req;
  req.workdir = g.workdir;
  req.database = o.database;
  req.rdbs = o.rdbs;
  if (!o.to.empty()) req.to = ResolvePath(g, o.to);
  req.dry_run = o.dry_run;
  req.force = o.force;
  req.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  auto report = RunWithJobRun<MisplacedEnv>(
      ctx, g, "repair misplaced " + o.database,
      [&](const MisplacedEnv& env) { return RunRepairMisplaced(ctx.fs, req, env); });
  if (!report.ok()) return ReportError(ctx, g, report.status());
  PrintJobReport(
      ctx, g, report->outcome, [&] { return MisplacedReportJson(StyleOf(g), *report); },
      [&] { PrintMisplacedReport(*ctx.out, StyleOf(g), *report); });
  return report->outcome.exit_status();
}

int RunRepairCmd(Context& ctx, const GlobalOptions& g, const RepairCmdOptions& o) {
  if (o.which == "misplaced") return RunMisplacedCmd(ctx, g, o);
  RepairRequest req;
  req.workdir = g.workdir;
  req.file = ResolvePath(g, o.file);
  req.what = o.which == "sidecar" ? RepairWhat::kSidecar : RepairWhat::kMap;
  req.dry_run = o.dry_run;
  req.force = o.force;
  req.lock_timeout_ms = static_cast<int64_t>(g.lock_timeout * 1000);
  auto r = RunRepair(ctx.fs, req, RepairEnv{});
  if (!r.ok()) return ReportError(ctx, g, r.status());
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "repair " + r->what;
    j["file"] = r->file;
    j["written"] = r->written;
    j["unchanged"] = r->unchanged;
    j["replaced"] = r->replaced;
    j["records"] = {{"positive", r->positive}, {"negative", r->negative}};
    j["bytes"] = r->bytes;
    j["findings_repaired"] = FindingsJson(r->findings);
    j["seconds"] = r->seconds;
    j["dry_run"] = r->dry_run;
    *ctx.out << j.dump(2) << "\n";
  } else if (!g.quiet) {
    std::ostream& out = *ctx.out;
    out << "repair " << r->what << " " << r->file << ": ";
    if (r->unchanged) {
      out << r->written << " is already right, nothing written\n";
    } else {
      out << (r->dry_run ? "would write " : "wrote ") << r->written
          << (r->replaced ? " (replacing a different one)" : "") << "\n";
    }
    out << "  " << r->positive << " positive and " << r->negative << " negative records, "
        << HumanBytes(r->bytes) << "\n";
    for (const Finding& f : r->findings) out << "  repaired: " << f.ToString() << "\n";
  }
  return 0;
}

}  // namespace

CommandSpec RepairCommand() {
  return {"repair",
          "rebuild a data file's map as Gigablast writes it, write a missing checksum sidecar, "
          "or send misplaced records home as bundles",
          [](CLI::App* sub) -> CommandRun {
            auto o = std::make_shared<RepairCmdOptions>();
            sub->require_subcommand(1);
            CLI::App* map = sub->add_subcommand(
                "map", "rebuild FILE's .map from its data, byte-identical to Gigablast's");
            CLI::App* sidecar = sub->add_subcommand(
                "sidecar", "write the .crc of FILE, which has none, after a full check");
            for (CLI::App* s : {map, sidecar}) {
              s->add_option("file", o->file, "the data file (or any part, or its map)")->required();
              s->add_flag("--dry-run", o->dry_run, "check and report; write nothing");
              s->add_flag("--force", o->force,
                          "write although a Gigablast process works in this directory");
              s->final_callback([o, s]() { o->which = s->get_name(); });
            }
            CLI::App* mis = sub->add_subcommand(
                "misplaced",
                "export the records of DB this shard does not own (outside any range deletion) "
                "as bundles for their owners, then remove them here");
            mis->add_option("db", o->database, "the database (a Gigablast collection, e.g. main)")
                ->required();
            mis->add_option("--rdb", o->rdbs,
                            "only this Rdb, repeatable (default: every sharded Rdb)");
            mis->add_option("--to", o->to,
                            "write the bundles into DIR (default shardtool/outbox in the "
                            "working dir)");
            mis->add_flag("--dry-run", o->dry_run,
                          "count the misplaced records per owner shard and Rdb; write nothing");
            mis->add_flag("--force", o->force,
                          "run although a Gigablast process works in this directory");
            mis->final_callback([o]() { o->which = "misplaced"; });
            return [o](Context& ctx, const GlobalOptions& g) { return RunRepairCmd(ctx, g, *o); };
          }};
}

}  // namespace shardtool
