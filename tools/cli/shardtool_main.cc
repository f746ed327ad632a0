#include "cli/shardtool_main.h"

#include <ostream>
#include <sstream>

#include "cli/command.h"
#include "render/json_render.h"

namespace shardtool {

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> kCommands = {
      InitCommand(),   InspectCommand(), VerifyCommand(),  MergeCommand(),  ImportCommand(),
      IngestCommand(), CatalogCommand(), ClusterCommand(), RepairCommand(), QuarantineCommand(),
  };
  return kCommands;
}

void BuildApp(CLI::App* app, GlobalOptions* g, CommandRun* run) {
  app->description("shardtool: keep the data files of a sharded Gigablast record store healthy");
  app->set_version_flag("--version", "shardtool 0.1.0");
  app->require_subcommand(1);
  app->fallthrough();
  app->add_option("--workdir", g->workdir, "host working directory (default: .)");
  app->add_option("--host-id", g->host_id, "this host's id (default: from shardtool/catalog.json)");
  app->add_flag("--json", g->json, "print one JSON document on stdout");
  app->add_option("--progress", g->progress,
                  "progress display: auto (a bar on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app->add_option("--lock-timeout", g->lock_timeout,
                  "seconds to wait for a lock (default 0: fail at once with exit 4)")
      ->check(AtLeast(0));
  app->add_flag("-q,--quiet", g->quiet, "print only errors");
  app->add_flag("-v,--verbose", g->verbose, "print more detail (repeatable)");
  for (const CommandSpec& spec : Commands()) {
    CLI::App* sub = app->add_subcommand(spec.name, spec.help);
    CommandRun fn = spec.setup(sub);
    sub->final_callback([run, fn]() { *run = fn; });
  }
}

int ReportError(Context& ctx, const GlobalOptions& g, const Status& status) {
  if (g.json) {
    *ctx.out << ErrorJson(status).dump(2) << "\n";
  } else {
    *ctx.err << "error: " << status.name() << ": " << status.message() << "\n";
  }
  return status.exit_status();
}

namespace {

CLI::Validator NumberCheck(double min, bool strict) {
  std::ostringstream bound;
  bound << min;
  const std::string b = bound.str();
  return CLI::Validator(
      [min, b, strict](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v)) return "'" + text + "' is not a number";
        if (strict ? v <= min : v < min) {
          return std::string(strict ? "must be greater than " : "must be at least ") + b +
                 " (got " + text + ")";
        }
        return std::string();
      },
      std::string(strict ? "NUMBER>" : "NUMBER>=") + b, strict ? "Positive" : "AtLeast");
}

}  // namespace

CLI::Validator AtLeast(double min) { return NumberCheck(min, false); }
CLI::Validator Positive() { return NumberCheck(0, true); }

std::string ResolvePath(const GlobalOptions& g, const std::string& path) {
  return JoinPath(g.workdir, path);
}

std::string DisplayPath(const GlobalOptions& g, const std::string& path) {
  return StyleOf(g).ShowPath(path);
}

ReportStyle StyleOf(const GlobalOptions& g) { return ReportStyle{g.workdir, g.quiet, g.verbose}; }

int Main(int argc, const char* const* argv, Context& ctx) {
  GlobalOptions g;
  CommandRun run;
  CLI::App app;
  BuildApp(&app, &g, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    *ctx.out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    *ctx.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    *ctx.out << "shardtool 0.1.0\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    // Help for a subcommand arrives as CallForHelp from that subcommand's parse.
    if (e.get_exit_code() == 0) {
      *ctx.out << e.what() << "\n";
      return 0;
    }
    return ReportError(ctx, g, UsageErrorStatus(e.what()));
  }
  if (!run) return ReportError(ctx, g, UsageErrorStatus("no command given (see --help)"));
  try {
    return run(ctx, g);
  } catch (const std::bad_alloc&) {
    return ReportError(ctx, g, InternalErrorStatus("out of memory"));
  } catch (const std::exception& e) {
    return ReportError(ctx, g,
                       InternalErrorStatus(std::string("unexpected exception: ") + e.what()));
  }
}

}  // namespace shardtool
