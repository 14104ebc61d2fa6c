#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"tatami: a fast, robust bridge to the Lean 4 theorem prover"};
  app.set_version_flag("--version", std::string("tatami ") + TATAMI_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  tatami::cli::AddReplCommand(app, &exit_code);
  tatami::cli::AddProtocolCheckCommand(app, &exit_code);
  tatami::cli::AddCheckCommand(app, &exit_code);
  tatami::cli::AddIndexCommand(app, &exit_code);
  tatami::cli::AddRetrieveCommand(app, &exit_code);
  tatami::cli::AddRetrieveEvalCommand(app, &exit_code);
  tatami::cli::AddProveCommand(app, &exit_code);
  tatami::cli::AddDataCommand(app, &exit_code);
  tatami::cli::AddTraceCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tatami: error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
