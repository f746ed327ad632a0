// `shardtool inspect db|catalog|key` and `inspect records --view` (inspect_state_cmd.cc): the
// forms that read the catalog and the shardtool/ state rather than one data file.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/command.h"

namespace shardtool {

struct InspectStateOptions {
  std::string database;
  std::string rdb;
  std::string key;
  std::string docid, termid;              // decimal, "" when not given
  std::string payload;                    // --payload [N]: "" = whole page
  CLI::Option* payload_option = nullptr;  // count() > 0: --payload was given
};

// Adds `db`, `catalog` and `key` under `inspect`; each returned subcommand is to be tagged by the
// caller so it knows which one ran.
std::vector<CLI::App*> AddInspectStateCommands(CLI::App* inspect, InspectStateOptions* o);

int RunInspectDb(Context& ctx, const GlobalOptions& g, const InspectStateOptions& o);
int RunInspectCatalog(Context& ctx, const GlobalOptions& g);
int RunInspectKey(Context& ctx, const GlobalOptions& g, const InspectStateOptions& o);
// inspect records --view V [--start K] [--end K] [--limit N].
int RunInspectView(Context& ctx, const GlobalOptions& g, const std::string& view,
                   const std::string& start, const std::string& end, uint64_t limit);

// `inspect tree FILE` (inspect_tree_cmd.cc).
struct InspectTreeOptions {
  std::string path, rdb;
  uint64_t limit = 0;
};
CLI::App* AddInspectTreeCommand(CLI::App* inspect, InspectTreeOptions* o);
int RunInspectTree(Context& ctx, const GlobalOptions& g, const InspectTreeOptions& o);

}  // namespace shardtool
