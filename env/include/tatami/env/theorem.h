// Theorem: how a user names the theorem an episode is about.
//
// Two forms, the ones the Dojo can enter and `tatami prove` reads:
//   * a Lean file and a theorem in it (short or full name), entered with
//     Dojo::EnterFromFile: the file's imports pick the worker, the text
//     before the theorem is its context;
//   * an import header and a formal statement, as in miniF2F-style JSON
//     Lines ({"name", "header", "formal_statement"}), entered with
//     Dojo::Enter; the statement may end in `:= by` or `:= by sorry`.
//
// Thread-safety: a value type; FromJsonLine is pure and thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tatami::env {

struct Theorem {
  // The Lean file holding the theorem (file form). Empty in the statement form.
  std::filesystem::path file;
  // File form: the theorem's short or full name in `file` (required).
  // Statement form: a label for logs (optional; the statement names the theorem).
  std::string name;
  // Statement form: import lines plus optional context ("import Mathlib\nopen
  // Real"); may be empty (core Lean). Unused in the file form.
  std::string header;
  // Statement form: "theorem foo (n : Nat) : n + 0 = n", optionally ending in
  // `:= by` or `:= by sorry` (required). Empty in the file form.
  std::string statement;

  // Both throw std::invalid_argument for an empty file, name or statement.
  static Theorem FromFile(std::filesystem::path file, std::string name);
  static Theorem FromStatement(std::string header, std::string statement, std::string name = "");

  // Reads one line of `tatami prove`'s JSON Lines input: an object with
  // string fields "formal_statement" (required), "header" and "name"
  // (optional); other fields are ignored. Throws std::invalid_argument
  // naming the problem (not JSON, not an object, a missing or non-string field).
  static Theorem FromJsonLine(std::string_view line);

  bool from_file() const { return !file.empty(); }
  // One line for messages: "Examples.lean:and_swap" or the name / statement.
  std::string Describe() const;

  friend bool operator==(const Theorem&, const Theorem&) = default;
};

}  // namespace tatami::env
