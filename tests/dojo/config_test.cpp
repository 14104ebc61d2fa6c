// Configuration: defaults, TOML/JSON files, environment, value parsing and
// precedence.
#include "tatami/dojo/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_flags.h"

namespace tatami::dojo {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

EnvGetter FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tatami-config-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(ConfigTest, DocumentedDefaults) {
  const Config c;
  EXPECT_THAT(c.repl_command, ElementsAre("lake", "env", "repl"));
  EXPECT_TRUE(c.project_dir.empty());
  EXPECT_EQ(c.request_timeout, 60s);
  EXPECT_EQ(c.startup_timeout, 600s);
  EXPECT_EQ(c.memory_limit_bytes, 0u);
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.max_queue, 1024u);
  EXPECT_EQ(c.when_full, FullQueuePolicy::kBlock);
  EXPECT_EQ(c.max_proof_states, 0u);
  EXPECT_EQ(c.recycle_rss_bytes, 0u);
  EXPECT_FALSE(c.restore_from_pickle);
  EXPECT_FALSE(c.index_in_memory);
  const WorkerPoolOptions o = c.ToPoolOptions();
  EXPECT_EQ(o.repl_command, c.repl_command);
  EXPECT_EQ(o.max_queue, 1024u);
}

// Each default is defined once, in the options struct that uses it; the
// layers above take theirs from it. A default-constructed Config must map to
// default-constructed options (the command aside: only Config has one).
TEST(ConfigTest, DefaultsAreDefinedOnce) {
  const Config c;
  WorkerPoolOptions pool;
  pool.repl_command = c.repl_command;
  EXPECT_TRUE(c.ToPoolOptions() == pool) << "Config's defaults differ from WorkerPoolOptions'";
  ReplProcessOptions process;
  process.command = c.repl_command;
  EXPECT_TRUE(c.ToProcessOptions() == process)
      << "Config's defaults differ from ReplProcessOptions'";
  // The pool hands its per-process defaults on unchanged.
  EXPECT_EQ(WorkerPoolOptions{}.request_timeout, ReplProcessOptions{}.request_timeout);
  EXPECT_EQ(WorkerPoolOptions{}.startup_timeout, ReplProcessOptions{}.startup_timeout);
  EXPECT_EQ(WorkerPoolOptions{}.memory_limit_bytes, ReplProcessOptions{}.memory_limit_bytes);
  // No file, no environment, no flags: the defaults.
  EXPECT_TRUE(LoadConfig(std::nullopt, FakeEnv({})).ToPoolOptions() == pool);
}

// Every key reaches the options it configures (a field ToPoolOptions or
// ToProcessOptions forgot would keep its default).
TEST(ConfigTest, EveryKeyReachesTheOptions) {
  Config c;
  c.repl_command = {"repl", "--x"};
  c.project_dir = "/some/project";
  c.request_timeout = 7s;
  c.startup_timeout = 70s;
  c.memory_limit_bytes = 3ull << 30;
  c.workers = 3;
  c.max_queue = 5;
  c.when_full = FullQueuePolicy::kFail;
  c.max_proof_states = 11;
  c.recycle_rss_bytes = 2ull << 30;
  c.restore_from_pickle = true;
  WorkerPoolOptions pool;
  pool.repl_command = c.repl_command;
  pool.project_dir = c.project_dir;
  pool.request_timeout = c.request_timeout;
  pool.startup_timeout = c.startup_timeout;
  pool.memory_limit_bytes = c.memory_limit_bytes;
  pool.workers = c.workers;
  pool.max_queue = c.max_queue;
  pool.when_full = c.when_full;
  pool.max_proof_states = c.max_proof_states;
  pool.recycle_rss_bytes = c.recycle_rss_bytes;
  pool.restore_from_pickle = c.restore_from_pickle;
  EXPECT_TRUE(c.ToPoolOptions() == pool);
  ReplProcessOptions process;
  process.command = c.repl_command;
  process.working_directory = c.project_dir;
  process.request_timeout = c.request_timeout;
  process.startup_timeout = c.startup_timeout;
  process.memory_limit_bytes = c.memory_limit_bytes;
  EXPECT_TRUE(c.ToProcessOptions() == process);
}

TEST(ConfigTest, FormattedValuesParseBack) {
  for (auto d : {0ms, 500ms, 1500ms, 60000ms, 600000ms}) {
    EXPECT_EQ(ParseDuration(FormatDuration(d)), d) << FormatDuration(d);
  }
  EXPECT_EQ(FormatDuration(60s), "60s");
  // 0 means no deadline; a positive duration never rounds down to it.
  EXPECT_EQ(ParseDuration("0.0001"), 1ms);
  EXPECT_EQ(ParseDuration("0"), 0ms);
  EXPECT_EQ(FormatDuration(500ms), "500ms");
  for (std::uint64_t b : {0ull, 1000ull, 8ull << 30, 512ull << 20, 3ull << 40}) {
    EXPECT_EQ(ParseByteSize(FormatByteSize(b)), b) << FormatByteSize(b);
  }
  EXPECT_EQ(FormatByteSize(8ull << 30), "8G");
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"lake", "env", "repl"},
        std::vector<std::string>{"/opt/my repl/bin", "--flag=it's", "say \"hi\"", ""}}) {
    EXPECT_EQ(SplitCommandLine(FormatCommandLine(argv)), argv) << FormatCommandLine(argv);
  }
  EXPECT_EQ(FormatCommandLine({"lake", "env", "repl"}), "lake env repl");
}

TEST(ConfigTest, ParsesDurations) {
  EXPECT_EQ(ParseDuration("500ms"), 500ms);
  EXPECT_EQ(ParseDuration("60s"), 60s);
  EXPECT_EQ(ParseDuration("1.5"), 1500ms);
  EXPECT_EQ(ParseDuration("2m"), 120s);
  EXPECT_EQ(ParseDuration(" 1h "), 3600s);
  EXPECT_THROW(ParseDuration("10 parsecs"), std::invalid_argument);
  EXPECT_THROW(ParseDuration("-1s"), std::invalid_argument);
  EXPECT_THROW(ParseDuration(""), std::invalid_argument);
}

TEST(ConfigTest, ParsesByteSizes) {
  EXPECT_EQ(ParseByteSize("0"), 0u);
  EXPECT_EQ(ParseByteSize("4096"), 4096u);
  EXPECT_EQ(ParseByteSize("512K"), 512u * 1024);
  EXPECT_EQ(ParseByteSize("512M"), 512ull << 20);
  EXPECT_EQ(ParseByteSize("8G"), 8ull << 30);
  EXPECT_EQ(ParseByteSize("8GiB"), 8ull << 30);
  EXPECT_EQ(ParseByteSize("6.5gb"), static_cast<std::uint64_t>(6.5 * (1ull << 30)));
  EXPECT_THROW(ParseByteSize("8Q"), std::invalid_argument);
  EXPECT_THROW(ParseByteSize("lots"), std::invalid_argument);
}

TEST(ConfigTest, SplitsCommandLines) {
  EXPECT_THAT(SplitCommandLine("  lake env  repl "), ElementsAre("lake", "env", "repl"));
  EXPECT_THAT(SplitCommandLine("'/opt/my lean/repl' --flag \"a b\""),
              ElementsAre("/opt/my lean/repl", "--flag", "a b"));
  EXPECT_THROW(SplitCommandLine("'open"), std::invalid_argument);
}

TEST(ConfigTest, TomlFileSetsEveryKey) {
  TempDir dir;
  const auto path = dir.Write("tatami.toml", R"(
[repl]
command = ["/usr/bin/repl", "--x"]
project_dir = "proj"
request_timeout = "30s"
startup_timeout = 120
memory_limit = "8G"

[pool]
workers = 3
max_queue = 10
when_full = "fail"
max_proof_states = 5000
recycle_rss = "6G"
restore_from_pickle = true

[index]
in_memory = true
)");
  Config c;
  LoadConfigFile(path, c);
  EXPECT_THAT(c.repl_command, ElementsAre("/usr/bin/repl", "--x"));
  EXPECT_EQ(c.project_dir, dir.path() / "proj");  // relative to the file
  EXPECT_EQ(c.request_timeout, 30s);
  EXPECT_EQ(c.startup_timeout, 120s);
  EXPECT_EQ(c.memory_limit_bytes, 8ull << 30);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.max_queue, 10u);
  EXPECT_EQ(c.when_full, FullQueuePolicy::kFail);
  EXPECT_EQ(c.max_proof_states, 5000u);
  EXPECT_EQ(c.recycle_rss_bytes, 6ull << 30);
  EXPECT_TRUE(c.restore_from_pickle);
  EXPECT_TRUE(c.index_in_memory);
}

TEST(ConfigTest, JsonFileSetsOnlyWhatItNames) {
  TempDir dir;
  const auto path = dir.Write(
      "tatami.json", R"({"repl": {"command": "lake env repl --x"}, "pool": {"workers": 2}})");
  Config c;
  LoadConfigFile(path, c);
  EXPECT_THAT(c.repl_command, ElementsAre("lake", "env", "repl", "--x"));
  EXPECT_EQ(c.workers, 2u);
  EXPECT_EQ(c.request_timeout, 60s);  // untouched default
}

TEST(ConfigTest, UnknownKeyNamesKeyAndFile) {
  TempDir dir;
  const auto path = dir.Write("bad.toml", "[pool]\nworkers = 2\nwokers = 3\n");
  Config c;
  try {
    LoadConfigFile(path, c);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("pool.wokers"));
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
  const auto top = dir.Write("top.json", R"({"workers": 2})");
  try {
    LoadConfigFile(top, c);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("`workers`"));
    EXPECT_THAT(e.what(), HasSubstr(top.string()));
  }
}

TEST(ConfigTest, BadValuesAndSyntaxAreErrors) {
  TempDir dir;
  Config c;
  const auto type = dir.Write("type.toml", "[pool]\nworkers = \"many\"\n");
  try {
    LoadConfigFile(type, c);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("pool.workers"));
  }
  const auto syntax = dir.Write("syntax.toml", "[pool\nworkers = 2\n");
  try {
    LoadConfigFile(syntax, c);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(syntax.string() + ":1:"));
  }
  EXPECT_THROW(LoadConfigFile(dir.path() / "missing.toml", c), ConfigError);
  EXPECT_THROW(LoadConfigText("{", false, "inline", c), ConfigError);
  EXPECT_THROW(LoadConfigText(R"({"pool": {"max_queue": 0}})", false, "inline", c), ConfigError);
  try {
    LoadConfigText(R"({"index": {"in_memory": "yes"}})", false, "inline", c);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("index.in_memory"));
  }
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  TempDir dir;
  const auto path = dir.Write("t.toml", "[repl]\nrequest_timeout = \"30s\"\n[pool]\nworkers = 3\n");
  const Config c = LoadConfig(path, FakeEnv({{"TATAMI_WORKERS", "5"},
                                             {"TATAMI_REPL_CMD", "my-repl --fast"},
                                             {"TATAMI_MEMORY_LIMIT", "4G"},
                                             {"TATAMI_RESTORE_FROM_PICKLE", "yes"},
                                             {"TATAMI_WHEN_FULL", "fail"},
                                             {"TATAMI_INDEX_IN_MEMORY", "on"},
                                             {"TATAMI_STARTUP_TIMEOUT", ""}}));
  EXPECT_EQ(c.workers, 5u);            // env beats file
  EXPECT_EQ(c.request_timeout, 30s);   // file beats default
  EXPECT_EQ(c.startup_timeout, 600s);  // empty variable = unset
  EXPECT_THAT(c.repl_command, ElementsAre("my-repl", "--fast"));
  EXPECT_EQ(c.memory_limit_bytes, 4ull << 30);
  EXPECT_TRUE(c.restore_from_pickle);
  EXPECT_EQ(c.when_full, FullQueuePolicy::kFail);
  EXPECT_TRUE(c.index_in_memory);
}

TEST(ConfigTest, ConfigFileFromEnvironment) {
  TempDir dir;
  const auto path = dir.Write("t.json", R"({"pool": {"max_proof_states": 7}})");
  EXPECT_EQ(LoadConfig(std::nullopt, FakeEnv({{"TATAMI_CONFIG", path.string()}})).max_proof_states,
            7u);
  EXPECT_EQ(LoadConfig(std::nullopt, FakeEnv({})).max_proof_states, 0u);
}

TEST(ConfigTest, BadEnvironmentValueNamesVariable) {
  try {
    LoadConfig(std::nullopt, FakeEnv({{"TATAMI_TIMEOUT", "soon"}}));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("TATAMI_TIMEOUT"));
  }
  EXPECT_THROW(LoadConfig(std::nullopt, FakeEnv({{"TATAMI_WORKERS", "-2"}})), ConfigError);
  try {
    LoadConfig(std::nullopt, FakeEnv({{"TATAMI_INDEX_IN_MEMORY", "maybe"}}));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("TATAMI_INDEX_IN_MEMORY"));
  }
}

// Parses `args` with the standard flags and resolves them over `env`.
Config ResolveFlags(std::vector<std::string> args, const EnvGetter& env,
                    cli::ConfigFlagSet set = cli::ConfigFlagSet::kPool) {
  CLI::App app{"test"};
  cli::ConfigFlags flags;
  cli::AddConfigFlags(app, &flags, set);
  std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
  app.parse(args);
  return cli::ResolveConfig(flags, env);
}

TEST(ConfigFlagsTest, FlagsBeatEnvironmentBeatFile) {
  TempDir dir;
  const auto path = dir.Write("t.toml",
                              "[repl]\nrequest_timeout = \"30s\"\nstartup_timeout = \"5m\"\n"
                              "[pool]\nworkers = 3\nmax_queue = 9\n");
  const EnvGetter env = FakeEnv({{"TATAMI_WORKERS", "5"}, {"TATAMI_TIMEOUT", "45s"}});
  const Config c = ResolveFlags({"--config", path.string(), "--workers", "7", "--repl-cmd",
                                 "repl --x", "--recycle-rss", "12G", "--restore-from-pickle"},
                                env);
  EXPECT_EQ(c.workers, 7u);            // flag > env > file
  EXPECT_EQ(c.request_timeout, 45s);   // env > file
  EXPECT_EQ(c.startup_timeout, 300s);  // file > default
  EXPECT_EQ(c.max_queue, 9u);          // file
  EXPECT_EQ(c.max_proof_states, 0u);   // default
  EXPECT_THAT(c.repl_command, ElementsAre("repl", "--x"));
  EXPECT_EQ(c.recycle_rss_bytes, 12ull << 30);
  EXPECT_TRUE(c.restore_from_pickle);
  EXPECT_FALSE(
      ResolveFlags({"--no-restore-from-pickle"}, FakeEnv({{"TATAMI_RESTORE_FROM_PICKLE", "1"}}))
          .restore_from_pickle);
  // An absent flag leaves the environment's value.
  EXPECT_TRUE(ResolveFlags({}, FakeEnv({{"TATAMI_RESTORE_FROM_PICKLE", "1"}})).restore_from_pickle);
}

TEST(ConfigFlagsTest, BadFlagValueNamesTheFlag) {
  try {
    ResolveFlags({"--memory-limit", "huge"}, FakeEnv({}));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--memory-limit"));
  }
  EXPECT_THROW(ResolveFlags({"--when-full", "sometimes"}, FakeEnv({})), ConfigError);
  EXPECT_THROW(ResolveFlags({"--max-queue", "0"}, FakeEnv({})), ConfigError);
}

TEST(ConfigFlagsTest, NoFlagsGiveTheDefaults) {
  Config defaults;
  for (auto set : {cli::ConfigFlagSet::kPool, cli::ConfigFlagSet::kSingleRepl}) {
    EXPECT_TRUE(ResolveFlags({}, FakeEnv({}), set).ToPoolOptions() == defaults.ToPoolOptions());
  }
}

TEST(ConfigFlagsTest, HelpShowsTheDefaultsOfConfig) {
  CLI::App app{"test"};
  cli::ConfigFlags flags;
  cli::AddConfigFlags(app, &flags);
  const Config c;
  const std::string help = app.help();
  EXPECT_THAT(help, HasSubstr("(default: \"" + FormatCommandLine(c.repl_command) + "\")"));
  EXPECT_THAT(help, HasSubstr("(default: " + FormatDuration(c.request_timeout) + ")"));
  EXPECT_THAT(help, HasSubstr("(default: " + FormatDuration(c.startup_timeout) + ")"));
  EXPECT_THAT(help, HasSubstr("(default: " + std::to_string(c.max_queue) + ")"));
}

TEST(ConfigFlagsTest, ConfigOnlySetOffersTheFileAndTheIndexFlags) {
  TempDir dir;
  const auto path = dir.Write("t.toml", "[index]\nin_memory = true\n[pool]\nworkers = 3\n");
  auto resolve = [](std::vector<std::string> args, const EnvGetter& env) {
    CLI::App app{"test"};
    cli::ConfigFlags flags;
    cli::AddConfigFlags(app, &flags, cli::ConfigFlagSet::kConfigOnly);
    cli::AddIndexFlags(app, &flags);
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return cli::ResolveConfig(flags, env);
  };
  const Config c = resolve({"--config", path.string()}, FakeEnv({}));
  EXPECT_TRUE(c.index_in_memory);
  EXPECT_EQ(c.workers, 3u);  // read, though the command runs no worker
  EXPECT_FALSE(resolve({"--config", path.string(), "--no-index-in-memory"},
                       FakeEnv({{"TATAMI_INDEX_IN_MEMORY", "1"}}))
                   .index_in_memory);
  EXPECT_TRUE(
      resolve({"--index-in-memory"}, FakeEnv({{"TATAMI_INDEX_IN_MEMORY", "0"}})).index_in_memory);
  for (const char* flag : {"--workers", "--timeout", "--repl-cmd"}) {
    EXPECT_THROW(resolve({flag, "2"}, FakeEnv({})), CLI::ParseError) << flag;
  }
}

TEST(ConfigFlagsTest, SingleReplSetOffersOnlyWhatOneProcessUses) {
  TempDir dir;
  // The file and the environment are read as for every command...
  const auto path = dir.Write("t.toml", "[repl]\nrequest_timeout = \"30s\"\n[pool]\nworkers = 3\n");
  const Config c =
      ResolveFlags({"--config", path.string(), "--memory-limit", "8G"},
                   FakeEnv({{"TATAMI_REPL_CMD", "repl --y"}}), cli::ConfigFlagSet::kSingleRepl);
  EXPECT_EQ(c.request_timeout, 30s);
  EXPECT_EQ(c.memory_limit_bytes, 8ull << 30);
  EXPECT_THAT(c.repl_command, ElementsAre("repl", "--y"));
  // ...but pool flags are not offered.
  for (const char* flag : {"--workers", "--max-queue", "--startup-timeout"}) {
    EXPECT_THROW(ResolveFlags({flag, "2"}, FakeEnv({}), cli::ConfigFlagSet::kSingleRepl),
                 CLI::ParseError)
        << flag;
  }
}

}  // namespace
}  // namespace tatami::dojo
