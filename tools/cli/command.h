// The command table (ninja's kTools[] / scylla-sstable's operations table): every subcommand
// declares its name, one-line help and a setup function that adds its options to a CLI11
// subcommand and returns the function that runs it. One table feeds --help and the man-page test.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/shardtool_main.h"
#include "render/text_render.h"

namespace shardtool {

// Options every command understands (doc/architecture.md §4).
struct GlobalOptions {
  std::string workdir = ".";
  int host_id = -1;  // -1: from catalog.json
  bool json = false;
  std::string progress = "auto";
  double lock_timeout = 0;
  bool quiet = false;
  int verbose = 0;
};

// Runs a parsed command; returns the process exit status (doc/architecture.md §5).
using CommandRun = std::function<int(Context&, const GlobalOptions&)>;

struct CommandSpec {
  const char* name;
  const char* help;
  // Adds the subcommand's options to `sub`; the returned function runs the command when `sub`
  // (or one of its own subcommands) was chosen.
  std::function<CommandRun(CLI::App* sub)> setup;
};

const std::vector<CommandSpec>& Commands();

// Builds the whole CLI11 app (used by Main and by the help/man agreement test). `run` receives
// the chosen command's run function.
void BuildApp(CLI::App* app, GlobalOptions* globals, CommandRun* run);

// Prints a failed Status (text to err, or the JSON error document to out) and returns its exit
// status: the one place a Status becomes an exit code (doc/conventions.md rule 3).
int ReportError(Context& ctx, const GlobalOptions& g, const Status& status);

// Resolves a path from the command line against --workdir (absolute paths stay as they are).
std::string ResolvePath(const GlobalOptions& g, const std::string& path);
// The inverse for output: a path inside --workdir is shown relative to it (doc/architecture.md §9).
std::string DisplayPath(const GlobalOptions& g, const std::string& path);
// What the renderers need of the global options (workdir, --quiet, --verbose).
ReportStyle StyleOf(const GlobalOptions& g);

// A number >= min (CLI11's PositiveNumber / NonNegativeNumber name their range up to DBL_MAX, a
// 300-digit number, in the error).
CLI::Validator AtLeast(double min);
// A number > 0.
CLI::Validator Positive();

// Command registration functions, one per tools/commands/<name>_cmd.cc.
CommandSpec InspectCommand();
CommandSpec VerifyCommand();
CommandSpec InitCommand();
CommandSpec CatalogCommand();
CommandSpec MergeCommand();
CommandSpec ImportCommand();
CommandSpec IngestCommand();
CommandSpec RepairCommand();
CommandSpec QuarantineCommand();
CommandSpec ClusterCommand();

}  // namespace shardtool
