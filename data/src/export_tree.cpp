#include "tatami/data/export_tree.h"

#include <string_view>

#include <fmt/format.h>

namespace tatami::data {
namespace {

using nlohmann::json;

struct Node {
  std::string kind, text;
  // Failure leaves: Lean rejected the tactic, with this message.
  bool lean_rejected = false;
  std::string rejection;
};

struct Edge {
  std::size_t src = 0, dst = 0;
  std::string tactic;
};

std::string StringField(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string())
    throw ExportInputError(fmt::format("{}: needs a string \"{}\"", where, key));
  return j[key].get<std::string>();
}

std::size_t IndexField(const json& j, const char* key, std::size_t limit,
                       const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_unsigned() ||
      j[key].get<std::size_t>() >= limit)
    throw ExportInputError(fmt::format("{}: \"{}\" must be a node id below {}", where, key, limit));
  return j[key].get<std::size_t>();
}

// Trees carry "failure": {"kind", "message"} on failure leaves; older ones
// only the one-line text, whose prefix then tells a Lean rejection.
void ReadFailure(const json& j, Node& node, const std::string& where) {
  if (node.kind != "failure") return;
  if (j.contains("failure")) {
    const std::string at = where + ".failure";
    // Any other kind, including ones newer than this reader, is no verdict of Lean's.
    node.lean_rejected = StringField(j["failure"], "kind", at) == kLeanRejectedKind;
    node.rejection = StringField(j["failure"], "message", at);
  } else if (node.text.rfind(kLeanRejectedPrefix, 0) == 0) {
    node.lean_rejected = true;
    node.rejection = node.text.substr(std::string_view(kLeanRejectedPrefix).size());
  }
}

}  // namespace

TreeRows RowsFromTree(const json& tree, const std::vector<std::string>& proof) {
  if (!tree.is_object() || !tree.contains("nodes") || !tree["nodes"].is_array() ||
      !tree.contains("edges") || !tree["edges"].is_array())
    throw ExportInputError("not a search tree: needs arrays \"nodes\" and \"edges\"");
  const json& jnodes = tree["nodes"];
  std::vector<Node> nodes;
  nodes.reserve(jnodes.size());
  for (std::size_t i = 0; i < jnodes.size(); ++i) {
    const std::string where = fmt::format("nodes[{}]", i);
    if (jnodes[i].contains("id") && jnodes[i]["id"] != i)
      throw ExportInputError(where + ": \"id\" is not its position");
    nodes.push_back(
        {StringField(jnodes[i], "kind", where), StringField(jnodes[i], "text", where), false, {}});
    ReadFailure(jnodes[i], nodes.back(), where);
  }
  const json& jedges = tree["edges"];
  std::vector<Edge> edges;
  std::vector<std::vector<std::size_t>> out(nodes.size());
  for (std::size_t e = 0; e < jedges.size(); ++e) {
    const std::string where = fmt::format("edges[{}]", e);
    Edge edge{IndexField(jedges[e], "src", nodes.size(), where),
              IndexField(jedges[e], "dst", nodes.size(), where),
              StringField(jedges[e], "tactic", where)};
    out[edge.src].push_back(e);
    edges.push_back(std::move(edge));
  }
  if (proof.empty()) throw ExportInputError("the reported proof has no tactics");
  if (nodes.empty()) throw ExportInputError("the tree has no nodes");

  TreeRows rows;
  std::size_t cur = 0;
  for (std::size_t step = 0; step < proof.size(); ++step) {
    if (nodes[cur].kind != "state")
      throw ExportInputError(
          fmt::format("proof step {} (\"{}\") starts at node {}, a {} leaf, not a state", step,
                      proof[step], cur, nodes[cur].kind));
    // A state is expanded once and its tactic strings are distinct, so the
    // step names at most one edge.
    const std::size_t* taken = nullptr;
    for (const std::size_t& e : out[cur])
      if (edges[e].tactic == proof[step]) {
        taken = &e;
        break;
      }
    if (!taken)
      throw ExportInputError(fmt::format("proof step {} (\"{}\") is not a tactic tried at node {}",
                                         step, proof[step], cur));
    const Edge& chosen = edges[*taken];
    rows.tactics.push_back({nodes[cur].text, chosen.tactic, cur, *taken, chosen.dst});
    for (std::size_t e : out[cur]) {
      const Node& leaf = nodes[edges[e].dst];
      if (e == *taken || !leaf.lean_rejected) continue;
      rows.preferences.push_back({nodes[cur].text, chosen.tactic, edges[e].tactic, leaf.rejection,
                                  cur, *taken, e, edges[e].dst});
    }
    cur = chosen.dst;
  }
  if (nodes[cur].kind != "proof_finished")
    throw ExportInputError(
        fmt::format("the reported proof ends at node {}, a {} node, not a finished proof", cur,
                    nodes[cur].kind));
  return rows;
}

}  // namespace tatami::data
