// `shardtool inspect tree FILE`: one of Gigablast's saved in-memory trees, decoded
// (jobs/inspect/inspect_tree.h). Defects of the content are findings shown with it (exit 0, as for
// `inspect file`); a missing file is exit 3.
#include <ostream>

#include "commands/inspect_cmd.h"
#include "jobs/inspect/inspect_tree.h"
#include "render/tree_render.h"

namespace shardtool {

CLI::App* AddInspectTreeCommand(CLI::App* inspect, InspectTreeOptions* o) {
  CLI::App* tree = inspect->add_subcommand(
      "tree", "a saved in-memory tree (<rdb>-saved.dat, <rdb>-buckets-saved.dat), decoded");
  tree->add_option("path", o->path, "the saved tree file")->required();
  tree->add_option("--rdb", o->rdb, "decode as this Rdb's tree when the file name does not say");
  tree->add_option("--limit", o->limit, "print at most N records (default: all)");
  return tree;
}

int RunInspectTree(Context& ctx, const GlobalOptions& g, const InspectTreeOptions& o) {
  const RdbInfo* rdb = nullptr;
  if (!o.rdb.empty()) {
    rdb = FindRdb(o.rdb);
    if (rdb == nullptr) return ReportError(ctx, g, UsageErrorStatus("unknown Rdb '" + o.rdb + "'"));
  }
  auto r = InspectTree(ctx.fs, ResolvePath(g, o.path), rdb);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  const PathShown shown = [&g](const std::string& p) { return DisplayPath(g, p); };
  if (g.json) {
    *ctx.out << TreeInspectJson(*r, shown, o.limit).dump(2) << "\n";
  } else {
    PrintTreeInspect(*ctx.out, *r, shown, o.limit);
  }
  return 0;
}

}  // namespace shardtool
