// Resuming a JSON Lines output file that earlier runs appended to, one whole
// line per finished item (tatami check, tatami prove).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tatami::cli {

// The keys of the items already in `path`, if it is a regular file (none for
// anything else, e.g. a pipe) (`key_of(line)` gives an item's key,
// or "" for a line that names none). A last line without its newline was cut
// by an interruption: it is removed from the file, unless it is whole JSON,
// which only gets its newline (nothing is lost). A line that is not JSON
// means `path` is not this command's output: std::runtime_error naming the
// line. `command` names the command in messages ("tatami check").
template <class KeyOf>
std::set<std::string> ResumeOutput(const std::string& path, const char* command, KeyOf key_of) {
  std::set<std::string> done;
  std::error_code ec;
  // Only a regular file holds earlier runs' lines: a pipe or a terminal
  // (-o /dev/stdout) would be read instead of written.
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return done;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read output file " + path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t nl = text.rfind('\n');
  const std::size_t complete = nl == std::string::npos ? 0 : nl + 1;
  std::size_t kept = complete;
  if (complete < text.size()) {
    const std::string last = text.substr(complete);
    if (nlohmann::json::accept(last)) {
      // Whole but for its newline: keep it (it may not even be ours).
      std::fprintf(stderr, "%s: %s ends without a newline; adding it\n", command, path.c_str());
      std::ofstream out(path, std::ios::binary | std::ios::app);
      out << '\n';
      out.close();
      if (!out) throw std::runtime_error("cannot complete the last line of " + path);
      kept = text.size();
    } else {
      std::fprintf(stderr,
                   "%s: %s ends in a partial line (%zu bytes, from an interrupted run); "
                   "removing it\n",
                   command, path.c_str(), text.size() - complete);
      if (::truncate(path.c_str(), static_cast<off_t>(complete)) != 0)
        throw std::runtime_error("cannot truncate the partial last line of " + path);
    }
  }
  std::istringstream lines(text.substr(0, kept));
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty()) continue;
    try {
      std::string key = key_of(nlohmann::json::parse(line));
      if (!key.empty()) done.insert(std::move(key));
    } catch (const nlohmann::json::exception&) {
      throw std::runtime_error(path + ":" + std::to_string(n) + ": not a JSON line; is this a `" +
                               command + "` output file?");
    }
  }
  return done;
}

// Throws std::invalid_argument when `output` is one of `inputs` (the same
// file, however named): resuming would read the inputs as results, and
// appending would write into them.
inline void RefuseOutputAmongInputs(const std::string& output,
                                    const std::vector<std::string>& inputs, const char* command) {
  std::error_code ec;
  if (output.empty() || !std::filesystem::is_regular_file(output, ec)) return;
  for (const std::string& input : inputs) {
    if (input == "-") continue;
    if (std::filesystem::equivalent(output, input, ec))
      throw std::invalid_argument(std::string(command) + ": the output " + output +
                                  " is the input " + input + "; write the results elsewhere");
  }
}

}  // namespace tatami::cli
