#include "name_scopes.h"

#include <algorithm>

namespace tatami::repl_double {

namespace {

constexpr std::string_view kRoot = "_root_";

bool HasRootPrefix(const LeanName& n) { return !n.parts.empty() && n.parts.front() == kRoot; }

LeanName WithoutRoot(const LeanName& n) {
  LeanName out = n;
  if (HasRootPrefix(out)) out.parts.erase(out.parts.begin());
  return out;
}

void AddUnique(std::vector<LeanName>* v, const LeanName& n) {
  if (std::find(v->begin(), v->end(), n) == v->end()) v->push_back(n);
}

}  // namespace

NameScopes::NameScopes() { scopes_.push_back({}); }

void NameScopes::Push(const std::string& header, bool is_namespace) {
  Scope s = scopes_.back();
  s.header = header;
  s.is_namespace = is_namespace;
  if (is_namespace) s.current.parts.push_back(header);
  scopes_.push_back(std::move(s));
}

void NameScopes::Namespace(const LeanName& name) {
  for (const std::string& part : name.parts) Push(part, true);
}

void NameScopes::Section(const LeanName& name) {
  if (name.empty()) Push("", false);
  for (const std::string& part : name.parts) Push(part, false);
}

std::optional<std::string> NameScopes::End(const LeanName& name) {
  std::size_t n = std::max<std::size_t>(1, name.parts.size());
  std::optional<std::string> problem;
  if (n >= scopes_.size()) {
    problem = "`end` closes " + std::to_string(n) + " scope(s) but only " +
              std::to_string(scopes_.size() - 1) + " are open";
  }
  // The innermost scopes, innermost last, against the components of `name`.
  for (std::size_t i = 0; i < n && scopes_.size() > 1; ++i) {
    const std::string& header = scopes_.back().header;
    std::string expected = name.empty() ? "" : name.parts[name.parts.size() - 1 - i];
    if (!problem && header != expected) {
      problem = "`end " + name.ToString() + "` does not match the open scope `" +
                (header.empty() ? std::string("section") : header) + "`";
    }
    scopes_.pop_back();
  }
  return problem;
}

void NameScopes::Open(const LeanName& name, const Exists& namespace_exists) {
  LeanName resolved = WithoutRoot(name);
  if (!HasRootPrefix(name)) {
    for (LeanName ns = CurrentNamespace(); !ns.empty(); ns = ns.Prefix()) {
      if (namespace_exists(ns + name)) {
        resolved = ns + name;
        break;
      }
    }
  }
  AddUnique(&scopes_.back().opens, resolved);
}

LeanName NameScopes::DeclarationName(const LeanName& written) const {
  if (HasRootPrefix(written)) return WithoutRoot(written);
  return CurrentNamespace() + written;
}

std::vector<LeanName> NameScopes::Resolve(const LeanName& written, const Exists& declared) const {
  std::vector<LeanName> found;
  if (!HasRootPrefix(written)) {
    for (LeanName ns = CurrentNamespace(); !ns.empty(); ns = ns.Prefix()) {
      if (declared(ns + written)) AddUnique(&found, ns + written);
    }
    if (!found.empty()) return found;
  }
  LeanName exact = WithoutRoot(written);
  if (!exact.empty() && declared(exact)) AddUnique(&found, exact);
  if (!HasRootPrefix(written)) {
    for (const LeanName& ns : scopes_.back().opens) {
      if (declared(ns + written)) AddUnique(&found, ns + written);
    }
  }
  return found;
}

nlohmann::json NameScopes::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const Scope& s : scopes_) {
    nlohmann::json opens = nlohmann::json::array();
    for (const LeanName& o : s.opens) opens.push_back(o.parts);
    out.push_back({{"header", s.header},
                   {"namespace", s.is_namespace},
                   {"current", s.current.parts},
                   {"opens", std::move(opens)}});
  }
  return out;
}

std::optional<NameScopes> NameScopes::FromJson(const nlohmann::json& j) {
  if (!j.is_array() || j.empty()) return std::nullopt;
  NameScopes out;
  out.scopes_.clear();
  try {
    for (const nlohmann::json& s : j) {
      Scope scope;
      scope.header = s.at("header").get<std::string>();
      scope.is_namespace = s.at("namespace").get<bool>();
      scope.current.parts = s.at("current").get<std::vector<std::string>>();
      for (const nlohmann::json& o : s.at("opens")) {
        scope.opens.push_back({o.get<std::vector<std::string>>()});
      }
      out.scopes_.push_back(std::move(scope));
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace tatami::repl_double
