// Registration of the `tatami` subcommands. Each Add*Command adds one
// subcommand to `app` and arranges for its exit code to be stored in
// `*exit_code` when it runs.
#pragma once

#include <CLI/CLI.hpp>

namespace tatami::cli {

void AddReplCommand(CLI::App& app, int* exit_code);
void AddProtocolCheckCommand(CLI::App& app, int* exit_code);
void AddCheckCommand(CLI::App& app, int* exit_code);
void AddIndexCommand(CLI::App& app, int* exit_code);
void AddRetrieveCommand(CLI::App& app, int* exit_code);
void AddRetrieveEvalCommand(CLI::App& app, int* exit_code);
void AddProveCommand(CLI::App& app, int* exit_code);
void AddDataCommand(CLI::App& app, int* exit_code);
void AddTraceCommand(CLI::App& app, int* exit_code);

}  // namespace tatami::cli
