// `shardtool repair map FILE` / `shardtool repair sidecar FILE`: rebuild a data file's page map as
// Gigablast writes it, or write the checksum sidecar of a file that has none, after the file
// passed verify's deep check (jobs/repair/repair_job.h). Exit 0 written (or already right), 3 a
// headless file, a sidecar that exists, a merge target, 4 busy, 8 the file fails its check.
#include <ostream>

#include "cli/command.h"
#include "jobs/repair/repair_job.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

struct RepairCmdOptions {
  std::string which, file;
  bool dry_run = false, force = false;
};

int RunRepairCmd(Context& ctx, const GlobalOptions& g, const RepairCmdOptions& o) {
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
          "rebuild a data file's map as Gigablast writes it, or write a missing checksum sidecar",
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
            return [o](Context& ctx, const GlobalOptions& g) { return RunRepairCmd(ctx, g, *o); };
          }};
}

}  // namespace shardtool
