#include "tatami/env/theorem.h"

#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace tatami::env {

Theorem Theorem::FromFile(std::filesystem::path file, std::string name) {
  if (file.empty()) throw std::invalid_argument("Theorem::FromFile: the file path is empty");
  if (name.empty())
    throw std::invalid_argument("Theorem::FromFile: no theorem name given for " + file.string());
  Theorem t;
  t.file = std::move(file);
  t.name = std::move(name);
  return t;
}

Theorem Theorem::FromStatement(std::string header, std::string statement, std::string name) {
  if (statement.find_first_not_of(" \t\r\n") == std::string::npos)
    throw std::invalid_argument("Theorem::FromStatement: the statement is empty" +
                                (name.empty() ? std::string() : " (theorem " + name + ")"));
  Theorem t;
  t.name = std::move(name);
  t.header = std::move(header);
  t.statement = std::move(statement);
  return t;
}

Theorem Theorem::FromJsonLine(std::string_view line) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("Theorem::FromJsonLine: not valid JSON (") + e.what() +
                                ")");
  }
  if (!j.is_object())
    throw std::invalid_argument(
        "Theorem::FromJsonLine: expected a JSON object with \"formal_statement\", got " +
        j.dump().substr(0, 80));
  auto text = [&](const char* field, bool required) -> std::string {
    const auto it = j.find(field);
    if (it == j.end()) {
      if (required)
        throw std::invalid_argument(std::string("Theorem::FromJsonLine: no \"") + field +
                                    "\" field");
      return {};
    }
    if (!it->is_string())
      throw std::invalid_argument(std::string("Theorem::FromJsonLine: \"") + field +
                                  "\" is not a string");
    return it->get<std::string>();
  };
  std::string statement = text("formal_statement", true);
  std::string header = text("header", false);
  std::string name = text("name", false);
  return FromStatement(std::move(header), std::move(statement), std::move(name));
}

std::string Theorem::Describe() const {
  if (from_file()) return file.string() + ":" + name;
  if (!name.empty()) return name;
  // The statement's first line is enough to recognise it in a log.
  const std::string first = statement.substr(0, statement.find('\n'));
  return first.size() > 120 ? first.substr(0, 117) + "..." : first;
}

}  // namespace tatami::env
