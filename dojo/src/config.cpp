#include "tatami/dojo/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

namespace tatami::dojo {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "12.5GiB" into its number and its (lower-cased) unit.
std::pair<double, std::string> NumberAndUnit(std::string_view text, const char* what) {
  const std::string s(Trim(text));
  if (s.empty()) throw std::invalid_argument(fmt::format("empty {}", what));
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) throw std::invalid_argument(fmt::format("`{}` is not a {}", s, what));
  char* end = nullptr;
  const std::string number = s.substr(0, i);
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value))
    throw std::invalid_argument(fmt::format("`{}` is not a {}", s, what));
  return {value, Lower(Trim(std::string_view(s).substr(i)))};
}

// A JSON scalar that holds a duration or size: a number or a string.
std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  throw std::invalid_argument("expected a number or a string");
}

bool ParseBool(std::string_view text) {
  const std::string s = Lower(Trim(text));
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return false;
  throw std::invalid_argument(fmt::format("`{}` is not a boolean (true/false, 1/0, yes/no)", s));
}

std::uint64_t ParseCount(std::string_view text) {
  const std::string s(Trim(text));
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(fmt::format("`{}` is not a non-negative integer", s));
  try {
    return std::stoull(s);
  } catch (const std::out_of_range&) {
    throw std::invalid_argument(fmt::format("`{}` is too large", s));
  }
}

FullQueuePolicy ParsePolicy(std::string_view text) {
  const std::string s = Lower(Trim(text));
  if (s == "block") return FullQueuePolicy::kBlock;
  if (s == "fail") return FullQueuePolicy::kFail;
  throw std::invalid_argument(fmt::format("`{}` is not `block` or `fail`", s));
}

std::uint64_t JsonCount(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::uint64_t>();
  throw std::invalid_argument("expected a non-negative integer");
}

json TomlToJson(const toml::node& node, const std::string& where) {
  if (const auto* t = node.as_table()) {
    json out = json::object();
    for (const auto& [k, v] : *t) {
      const std::string key(k.str());
      out[key] = TomlToJson(v, where.empty() ? key : where + "." + key);
    }
    return out;
  }
  if (const auto* a = node.as_array()) {
    json out = json::array();
    for (const auto& v : *a) out.push_back(TomlToJson(v, where));
    return out;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* b = node.as_boolean()) return b->get();
  throw std::invalid_argument(fmt::format("`{}`: dates and times are not used here", where));
}

// Applies one table of the file. `apply` knows each key of the table.
template <typename Apply>
void ApplyTable(const json& root, const char* table, const std::string& source, Apply apply) {
  auto it = root.find(table);
  if (it == root.end()) return;
  if (!it->is_object()) throw ConfigError(fmt::format("{}: `{}` must be a table", source, table));
  for (const auto& [key, value] : it->items()) {
    const std::string name = std::string(table) + "." + key;
    bool known = true;
    try {
      known = apply(key, value);
    } catch (const std::exception& e) {
      throw ConfigError(fmt::format("{}: bad value for `{}`: {}", source, name, e.what()));
    }
    if (!known) throw ConfigError(fmt::format("{}: unknown key `{}`", source, name));
  }
}

void ApplyJson(const json& root, const std::string& source, const std::filesystem::path& base_dir,
               Config& c) {
  if (!root.is_object())
    throw ConfigError(fmt::format("{}: the top level must be a table", source));
  for (const auto& [key, value] : root.items()) {
    if (key != "repl" && key != "pool" && key != "index")
      throw ConfigError(
          fmt::format("{}: unknown key `{}` (known tables: repl, pool, index)", source, key));
  }
  ApplyTable(root, "repl", source, [&](const std::string& key, const json& v) {
    if (key == "command") {
      if (v.is_string()) {
        c.repl_command = SplitCommandLine(v.get<std::string>());
      } else if (v.is_array()) {
        std::vector<std::string> argv;
        for (const auto& a : v) {
          if (!a.is_string()) throw std::invalid_argument("expected an array of strings");
          argv.push_back(a.get<std::string>());
        }
        c.repl_command = std::move(argv);
      } else {
        throw std::invalid_argument("expected an array of strings or a command line");
      }
      if (c.repl_command.empty()) throw std::invalid_argument("the command is empty");
    } else if (key == "project_dir") {
      if (!v.is_string()) throw std::invalid_argument("expected a string");
      std::filesystem::path dir = v.get<std::string>();
      c.project_dir = dir.is_relative() ? base_dir / dir : dir;
    } else if (key == "request_timeout") {
      c.request_timeout = ParseDuration(ScalarText(v));
    } else if (key == "startup_timeout") {
      c.startup_timeout = ParseDuration(ScalarText(v));
    } else if (key == "memory_limit") {
      c.memory_limit_bytes = ParseByteSize(ScalarText(v));
    } else {
      return false;
    }
    return true;
  });
  ApplyTable(root, "pool", source, [&](const std::string& key, const json& v) {
    if (key == "workers") {
      c.workers = JsonCount(v);
    } else if (key == "max_queue") {
      c.max_queue = JsonCount(v);
      if (c.max_queue == 0) throw std::invalid_argument("must be at least 1");
    } else if (key == "when_full") {
      if (!v.is_string()) throw std::invalid_argument("expected \"block\" or \"fail\"");
      c.when_full = ParsePolicy(v.get<std::string>());
    } else if (key == "max_proof_states") {
      c.max_proof_states = JsonCount(v);
    } else if (key == "recycle_rss") {
      c.recycle_rss_bytes = ParseByteSize(ScalarText(v));
    } else if (key == "restore_from_pickle") {
      if (!v.is_boolean()) throw std::invalid_argument("expected true or false");
      c.restore_from_pickle = v.get<bool>();
    } else {
      return false;
    }
    return true;
  });
  ApplyTable(root, "index", source, [&](const std::string& key, const json& v) {
    if (key != "in_memory") return false;
    if (!v.is_boolean()) throw std::invalid_argument("expected true or false");
    c.index_in_memory = v.get<bool>();
    return true;
  });
}

}  // namespace

WorkerPoolOptions Config::ToPoolOptions() const {
  WorkerPoolOptions o;
  o.repl_command = repl_command;
  o.project_dir = project_dir;
  o.workers = workers;
  o.max_queue = max_queue;
  o.when_full = when_full;
  o.request_timeout = request_timeout;
  o.startup_timeout = startup_timeout;
  o.memory_limit_bytes = memory_limit_bytes;
  o.max_proof_states = max_proof_states;
  o.recycle_rss_bytes = recycle_rss_bytes;
  o.restore_from_pickle = restore_from_pickle;
  return o;
}

ReplProcessOptions Config::ToProcessOptions() const {
  ReplProcessOptions o;
  o.command = repl_command;
  o.working_directory = project_dir;
  o.request_timeout = request_timeout;
  o.startup_timeout = startup_timeout;
  o.memory_limit_bytes = memory_limit_bytes;
  return o;
}

std::chrono::milliseconds ParseDuration(std::string_view text) {
  const auto [value, unit] = NumberAndUnit(text, "duration (e.g. 500ms, 60s, 2m, 1h)");
  double ms;
  if (unit.empty() || unit == "s" || unit == "sec") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m" || unit == "min") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else {
    throw std::invalid_argument(
        fmt::format("`{}`: unknown duration unit `{}` (use ms, s, m or h)", Trim(text), unit));
  }
  if (ms > 1e15) throw std::invalid_argument(fmt::format("`{}` is too long", Trim(text)));
  // 0 means "no deadline": a positive duration must not round down to it.
  if (ms > 0 && ms < 1) ms = 1;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::uint64_t ParseByteSize(std::string_view text) {
  const auto [value, unit] = NumberAndUnit(text, "size (e.g. 512M, 8G)");
  std::string u = unit;
  if (u.size() > 1 && u.back() == 'b') u.pop_back();  // "MB", "MiB"
  if (u.size() > 1 && u.back() == 'i') u.pop_back();
  double factor;
  if (u.empty() || u == "b") {
    factor = 1;
  } else if (u == "k") {
    factor = 1024.0;
  } else if (u == "m") {
    factor = 1024.0 * 1024;
  } else if (u == "g") {
    factor = 1024.0 * 1024 * 1024;
  } else if (u == "t") {
    factor = 1024.0 * 1024 * 1024 * 1024;
  } else {
    throw std::invalid_argument(
        fmt::format("`{}`: unknown size unit `{}` (use K, M, G or T)", Trim(text), unit));
  }
  const double bytes = value * factor;
  if (bytes > 1.8e19) throw std::invalid_argument(fmt::format("`{}` is too large", Trim(text)));
  return static_cast<std::uint64_t>(std::llround(bytes));
}

std::vector<std::string> SplitCommandLine(std::string_view text) {
  std::vector<std::string> argv;
  std::string current;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        current += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) argv.push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (quote) throw std::invalid_argument(fmt::format("unterminated {} quote in `{}`", quote, text));
  if (in_word) argv.push_back(std::move(current));
  return argv;
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 != 0) return ms < 1000 ? fmt::format("{}ms", ms) : fmt::format("{}s", ms / 1000.0);
  return fmt::format("{}s", ms / 1000);
}

std::string FormatByteSize(std::uint64_t bytes) {
  if (bytes == 0) return "0";
  constexpr std::pair<int, char> kUnits[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
  for (const auto& [shift, unit] : kUnits) {
    if (bytes % (std::uint64_t{1} << shift) == 0) return fmt::format("{}{}", bytes >> shift, unit);
  }
  return std::to_string(bytes);
}

std::string FormatCommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& word : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !word.empty() && std::none_of(word.begin(), word.end(), [](char c) {
      return c == '\'' || c == '"' || std::isspace(static_cast<unsigned char>(c));
    });
    if (plain) {
      out += word;
      continue;
    }
    // SplitCommandLine has no escapes, but joins adjacent quoted parts: a
    // single quote goes in double quotes, everything else in single quotes.
    out += '\'';
    for (char c : word) out += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
    out += '\'';
  }
  return out;
}

namespace {

// Relative paths in the text are relative to `base_dir`.
void LoadText(std::string_view text, bool toml, const std::string& source, Config& config,
              const std::filesystem::path& base_dir) {
  json root;
  if (toml) {
    toml::table table;
    try {
      table = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
      throw ConfigError(fmt::format("{}:{}:{}: {}", source, e.source().begin.line,
                                    e.source().begin.column, e.description()));
    }
    try {
      root = TomlToJson(table, "");
    } catch (const std::invalid_argument& e) {
      throw ConfigError(fmt::format("{}: {}", source, e.what()));
    }
  } else {
    try {
      root = json::parse(text);
    } catch (const json::parse_error& e) {
      throw ConfigError(fmt::format("{}: not valid JSON: {}", source, e.what()));
    }
  }
  ApplyJson(root, source, base_dir, config);
}

}  // namespace

void LoadConfigText(std::string_view text, bool toml, const std::string& source, Config& config) {
  LoadText(text, toml, source, config, std::filesystem::current_path());
}

void LoadConfigFile(const std::filesystem::path& path, Config& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the config file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(fmt::format("{}: error reading the config file", path.string()));
  const bool toml = Lower(path.extension().string()) == ".toml";
  std::filesystem::path base = path.parent_path();
  if (base.empty()) base = ".";
  LoadText(text.str(), toml, path.string(), config, std::filesystem::absolute(base));
}

EnvGetter ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

void LoadEnvironment(const EnvGetter& env, Config& c) {
  auto with = [&](const char* name, auto apply) {
    std::optional<std::string> v = env(name);
    if (!v || Trim(*v).empty()) return;
    try {
      apply(*v);
    } catch (const std::exception& e) {
      throw ConfigError(fmt::format("environment variable {}: {}", name, e.what()));
    }
  };
  with("TATAMI_REPL_CMD", [&](const std::string& v) {
    std::vector<std::string> argv = SplitCommandLine(v);
    if (argv.empty()) throw std::invalid_argument("the command is empty");
    c.repl_command = std::move(argv);
  });
  with("TATAMI_PROJECT", [&](const std::string& v) { c.project_dir = v; });
  with("TATAMI_WORKERS", [&](const std::string& v) { c.workers = ParseCount(v); });
  with("TATAMI_TIMEOUT", [&](const std::string& v) { c.request_timeout = ParseDuration(v); });
  with("TATAMI_STARTUP_TIMEOUT",
       [&](const std::string& v) { c.startup_timeout = ParseDuration(v); });
  with("TATAMI_MEMORY_LIMIT",
       [&](const std::string& v) { c.memory_limit_bytes = ParseByteSize(v); });
  with("TATAMI_MAX_QUEUE", [&](const std::string& v) {
    c.max_queue = ParseCount(v);
    if (c.max_queue == 0) throw std::invalid_argument("must be at least 1");
  });
  with("TATAMI_WHEN_FULL", [&](const std::string& v) { c.when_full = ParsePolicy(v); });
  with("TATAMI_MAX_PROOF_STATES",
       [&](const std::string& v) { c.max_proof_states = ParseCount(v); });
  with("TATAMI_RECYCLE_RSS", [&](const std::string& v) { c.recycle_rss_bytes = ParseByteSize(v); });
  with("TATAMI_RESTORE_FROM_PICKLE",
       [&](const std::string& v) { c.restore_from_pickle = ParseBool(v); });
  with("TATAMI_INDEX_IN_MEMORY", [&](const std::string& v) { c.index_in_memory = ParseBool(v); });
}

Config LoadConfig(const std::optional<std::filesystem::path>& config_file, const EnvGetter& env) {
  Config config;
  std::optional<std::filesystem::path> file = config_file;
  if (!file) {
    if (std::optional<std::string> v = env("TATAMI_CONFIG"); v && !Trim(*v).empty()) file = *v;
  }
  if (file) LoadConfigFile(*file, config);
  LoadEnvironment(env, config);
  return config;
}

}  // namespace tatami::dojo
