#include "commands.h"
namespace tatami::cli {
void AddReplCommand(CLI::App&, int*) {}
void AddProtocolCheckCommand(CLI::App&, int*) {}
}  // namespace tatami::cli
