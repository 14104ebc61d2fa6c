#include "lean_json.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tatami::repl_double {

namespace {

// A document in the shape of Lean's `Format`, flattened into an array of
// nodes so that a response costs a handful of allocations.
enum class Kind : std::uint8_t { kText, kLine, kGroup, kNest };

struct Node {
  explicit Node(Kind k) : kind(k) {}
  Kind kind;
  int indent = 0;              // kNest: extra indentation
  std::size_t text_begin = 0;  // kText: slice of the text arena
  std::size_t text_size = 0;
  std::size_t width = 0;              // kText: code points
  std::vector<std::size_t> children;  // kGroup, kNest
};

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class DocBuilder {
 public:
  std::vector<Node> nodes;
  std::string arena;

  std::size_t Text(std::string_view s) {
    Node n(Kind::kText);
    n.text_begin = arena.size();
    arena.append(s);
    n.text_size = s.size();
    n.width = CodePoints(s);
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
  }
  std::size_t Line() {
    nodes.emplace_back(Kind::kLine);
    return nodes.size() - 1;
  }
  std::size_t Group(std::vector<std::size_t> children) {
    Node n(Kind::kGroup);
    n.children = std::move(children);
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
  }
  std::size_t Nest(int indent, std::vector<std::size_t> children) {
    Node n(Kind::kNest);
    n.indent = indent;
    n.children = std::move(children);
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
  }

  // Lean: `Format.bracket l f r = group (nest l.length (l ++ f ++ r))`, with
  // elements joined by `"," ++ line`.
  std::size_t Bracket(const char* open, std::vector<std::size_t> elems, const char* close) {
    std::vector<std::size_t> inner;
    inner.push_back(Text(open));
    for (std::size_t i = 0; i < elems.size(); ++i) {
      if (i > 0) {
        inner.push_back(Text(","));
        inner.push_back(Line());
      }
      inner.push_back(elems[i]);
    }
    inner.push_back(Text(close));
    return Group({Nest(1, std::move(inner))});
  }

  std::size_t Build(const nlohmann::json& j) {
    switch (j.type()) {
      case nlohmann::json::value_t::object: {
        std::vector<std::size_t> kvs;
        // Lean folds its RBMap into a list by prepending: keys come out in
        // descending order.
        for (auto it = j.crbegin(); it != j.crend(); ++it) {
          std::string key;
          AppendLeanString(it.key(), &key);
          key += ':';
          std::size_t k = Text(key);
          std::size_t line = Line();
          std::size_t v = Build(it.value());
          kvs.push_back(Group({k, line, v}));
        }
        return Bracket("{", std::move(kvs), "}");
      }
      case nlohmann::json::value_t::array: {
        std::vector<std::size_t> elems;
        for (const auto& e : j) elems.push_back(Build(e));
        return Bracket("[", std::move(elems), "]");
      }
      case nlohmann::json::value_t::string: {
        std::string s;
        AppendLeanString(j.get_ref<const std::string&>(), &s);
        return Text(s);
      }
      default:
        return Text(j.dump());
    }
  }
};

// Wadler/Lean layout: a group is printed flat if it and everything after it up
// to the next line break of an enclosing (broken) group fit in the width.
class Layout {
 public:
  Layout(const DocBuilder& doc, std::string* out) : doc_(doc), out_(out) {}

  void Run(std::size_t root) {
    stack_.push_back({root, 0, false});
    while (!stack_.empty()) {
      Item item = stack_.back();
      stack_.pop_back();
      const Node& n = doc_.nodes[item.node];
      switch (n.kind) {
        case Kind::kText:
          out_->append(doc_.arena, n.text_begin, n.text_size);
          column_ += n.width;
          break;
        case Kind::kLine:
          if (item.flat) {
            out_->push_back(' ');
            column_ += 1;
          } else {
            out_->push_back('\n');
            out_->append(static_cast<std::size_t>(item.indent), ' ');
            column_ = static_cast<std::size_t>(item.indent);
          }
          break;
        case Kind::kNest:
          for (auto it = n.children.rbegin(); it != n.children.rend(); ++it) {
            stack_.push_back({*it, item.indent + n.indent, item.flat});
          }
          break;
        case Kind::kGroup: {
          bool flat = item.flat;
          if (!flat) {
            long remaining = static_cast<long>(kWidth) - static_cast<long>(column_);
            flat = Fits(item.node, item.indent, remaining);
          }
          for (auto it = n.children.rbegin(); it != n.children.rend(); ++it) {
            stack_.push_back({*it, item.indent, flat});
          }
          break;
        }
      }
    }
  }

 private:
  static constexpr std::size_t kWidth = 80;
  struct Item {
    std::size_t node;
    int indent;
    bool flat;
  };

  // Measures the group flat, then the rest of the work stack in its own modes
  // until the first line break.
  bool Fits(std::size_t group, int indent, long remaining) {
    probe_.clear();
    probe_.push_back({group, indent, true});
    std::size_t rest = stack_.size();
    for (;;) {
      if (remaining < 0) return false;
      Item item;
      if (!probe_.empty()) {
        item = probe_.back();
        probe_.pop_back();
      } else if (rest > 0) {
        item = stack_[--rest];
      } else {
        return true;
      }
      const Node& n = doc_.nodes[item.node];
      switch (n.kind) {
        case Kind::kText:
          remaining -= static_cast<long>(n.width);
          break;
        case Kind::kLine:
          if (!item.flat) return true;
          remaining -= 1;
          break;
        case Kind::kNest:
        case Kind::kGroup: {
          bool flat = item.flat || n.kind == Kind::kGroup;
          for (auto it = n.children.rbegin(); it != n.children.rend(); ++it) {
            probe_.push_back({*it, item.indent, flat});
          }
          break;
        }
      }
    }
  }

  const DocBuilder& doc_;
  std::string* out_;
  std::size_t column_ = 0;
  std::vector<Item> stack_;
  std::vector<Item> probe_;
};

}  // namespace

void AppendLeanString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out->append("\\\"");
    } else if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

void AppendLeanPretty(const nlohmann::json& value, std::string* out) {
  DocBuilder doc;
  std::size_t root = doc.Build(value);
  Layout layout(doc, out);
  layout.Run(root);
}

std::string LeanPretty(const nlohmann::json& value) {
  std::string out;
  AppendLeanPretty(value, &out);
  return out;
}

}  // namespace tatami::repl_double
