#include "tatami/search/tree_export.h"

#include <cctype>
#include <cstdint>

#include <fmt/format.h>

namespace tatami::search {
namespace {

// DOT string literal: quotes and backslashes escaped, newlines as left-justified breaks.
std::string DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\l";
    else
      out += c;
  }
  return out + "\"";
}

}  // namespace

nlohmann::json TreeToJson(const SearchTree& tree) {
  using nlohmann::json;
  json nodes = json::array(), edges = json::array();
  for (std::size_t i = 0; i < tree.num_nodes(); ++i) {
    const SearchNode& n = tree.node(i);
    nodes.push_back({{"id", i},
                     {"kind", ToString(n.kind)},
                     {"status", ToString(n.status)},
                     {"text", n.text},
                     {"cumulative_logprob", n.cumulative_logprob},
                     {"distance_to_proof",
                      n.distance_to_proof == kNoProof ? json(nullptr) : json(n.distance_to_proof)},
                     {"expansion", n.expansion ? json(*n.expansion) : json(nullptr)}});
    if (n.kind == NodeKind::kFailure)
      nodes.back()["failure"] = {{"kind", ToString(n.failure_kind)},
                                 {"message", n.failure_message}};
  }
  for (std::size_t e = 0; e < tree.num_edges(); ++e) {
    const SearchEdge& x = tree.edge(e);
    edges.push_back({{"src", x.src}, {"dst", x.dst}, {"tactic", x.tactic}, {"logprob", x.logprob}});
  }
  return {{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

std::string TreeToDot(const SearchTree& tree, const std::string& title) {
  std::string out = "digraph " + DotQuote(title) + " {\n  node [shape=box, fontname=monospace];\n";
  for (std::size_t i = 0; i < tree.num_nodes(); ++i) {
    const SearchNode& n = tree.node(i);
    const char* color = n.status == NodeStatus::kProved   ? "palegreen"
                        : n.status == NodeStatus::kFailed ? "lightpink"
                                                          : "white";
    std::string label;
    if (n.kind == NodeKind::kProofFinished)
      label = "proof finished";
    else if (n.kind == NodeKind::kFailure)
      label = n.text;
    else
      label = fmt::format("#{} {:.3f}\n{}\n", i, n.cumulative_logprob, n.text);
    out += fmt::format("  n{} [label={}, style=filled, fillcolor={}{}];\n", i, DotQuote(label),
                       color, n.kind == NodeKind::kState ? "" : ", shape=ellipse");
  }
  for (std::size_t e = 0; e < tree.num_edges(); ++e) {
    const SearchEdge& x = tree.edge(e);
    out += fmt::format("  n{} -> n{} [label={}];\n", x.src, x.dst,
                       DotQuote(fmt::format("{} ({:.3f})", x.tactic, x.logprob)));
  }
  return out + "}\n";
}

std::string TreeFileStem(const std::string& theorem) {
  if (theorem.empty()) return "%";
  std::string out;
  for (std::size_t i = 0; i < theorem.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(theorem[i]);
    const bool kept = std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i > 0);
    out += kept ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  constexpr std::size_t kLongest = 200, kKept = 180;
  if (out.size() <= kLongest) return out;
  std::size_t cut = kKept;
  // Not inside a %XX.
  if (out[cut - 1] == '%')
    cut -= 1;
  else if (out[cut - 2] == '%')
    cut -= 2;
  return out.substr(0, cut) + "~" + TextHash(theorem);
}

std::string TextHash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a, 64 bits
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", hash);
}

}  // namespace tatami::search
