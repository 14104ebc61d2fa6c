#include "lean_json.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace tatami::repl_double {

namespace {

// A document in the shape of Lean's `Format`, flattened into arrays: nodes
// refer to slices of one text arena and of one child list, and the arrays are
// kept from one response to the next (LeanJsonWriter), so that printing a
// response allocates nothing once they have grown.
enum class Kind : std::uint8_t { kText, kLine, kGroup, kNest };

struct Node {
  Kind kind;
  int indent = 0;         // kNest: extra indentation
  std::size_t begin = 0;  // kText: slice of `arena`; kGroup, kNest: slice of `children`
  std::size_t size = 0;
  std::size_t width = 0;  // kText: code points
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
  std::vector<std::size_t> children;  // each group's and nest's children, contiguous

  void Clear() {
    nodes.clear();
    arena.clear();
    children.clear();
    elems_.clear();
    open_.clear();
    root_ = kNone;
  }

  // The document of the one top-level value.
  std::size_t Root() const {
    if (root_ == kNone || !open_.empty()) {
      throw std::logic_error("LeanJsonWriter: incomplete value");
    }
    return root_;
  }

  // Values are added in document order, containers opened and closed around
  // their members.
  void BeginContainer(bool object) { open_.push_back({object, elems_.size(), kNone, {}}); }
  // Lean folds its RBMap into a list by prepending: keys come out in
  // descending order, and must be given in that order.
  void Key(std::string_view key) {
    if (open_.empty() || !open_.back().object || open_.back().key != kNone) {
      throw std::logic_error("LeanJsonWriter: a key outside an object or without a value");
    }
    Open& o = open_.back();
    if (o.elems != elems_.size() && !(key < o.last_key)) {
      throw std::logic_error("LeanJsonWriter: keys out of Lean's (descending) order");
    }
    o.last_key.assign(key);
    std::size_t begin = arena.size();
    AppendLeanString(key, &arena);
    arena += ':';
    o.key = TextFrom(begin);
  }
  void EndContainer(bool object) {
    if (open_.empty() || open_.back().object != object || open_.back().key != kNone) {
      throw std::logic_error("LeanJsonWriter: unbalanced container");
    }
    std::size_t mark = open_.back().elems;
    open_.pop_back();
    Value(object ? Bracket("{", mark, "}") : Bracket("[", mark, "]"));
  }
  void String(std::string_view s) {
    std::size_t begin = arena.size();
    AppendLeanString(s, &arena);
    Value(TextFrom(begin));
  }
  // Integers are printed as json::dump() prints them, without its per-call
  // serializer (an allocation and a localeconv()).
  template <typename Int>
  void Integer(Int v) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    Value(Text(std::string_view(digits, static_cast<std::size_t>(end - digits))));
  }

  void Build(const nlohmann::json& j) {
    switch (j.type()) {
      case nlohmann::json::value_t::object:
        BeginContainer(true);
        for (auto it = j.crbegin(); it != j.crend(); ++it) {
          Key(it.key());
          Build(it.value());
        }
        EndContainer(true);
        return;
      case nlohmann::json::value_t::array:
        BeginContainer(false);
        for (const auto& e : j) Build(e);
        EndContainer(false);
        return;
      case nlohmann::json::value_t::string:
        String(j.get_ref<const std::string&>());
        return;
      case nlohmann::json::value_t::number_integer:
        Integer(j.get<std::int64_t>());
        return;
      case nlohmann::json::value_t::number_unsigned:
        Integer(j.get<std::uint64_t>());
        return;
      default:
        Value(Text(j.dump()));
        return;
    }
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  struct Open {
    bool object;
    std::size_t elems;     // where its elements start in elems_
    std::size_t key;       // object: the text of the key awaiting its value
    std::string last_key;  // object: the previous key, to check the order
  };

  std::size_t Text(std::string_view s) {
    std::size_t begin = arena.size();
    arena.append(s);
    return TextFrom(begin);
  }
  // The text appended to the arena since `begin` (written there directly, to
  // spare a temporary string).
  std::size_t TextFrom(std::size_t begin) {
    std::string_view s = std::string_view(arena).substr(begin);
    nodes.push_back({Kind::kText, 0, begin, s.size(), CodePoints(s)});
    return nodes.size() - 1;
  }
  std::size_t Line() {
    nodes.push_back({Kind::kLine});
    return nodes.size() - 1;
  }
  std::size_t Group(std::initializer_list<std::size_t> kids) {
    std::size_t begin = children.size();
    children.insert(children.end(), kids);
    return Parent(Kind::kGroup, 0, begin);
  }
  // Must be called after any node the children refer to is built.
  std::size_t Parent(Kind kind, int indent, std::size_t begin) {
    nodes.push_back({kind, indent, begin, children.size() - begin});
    return nodes.size() - 1;
  }

  // A finished value: the root, an array element, or an object member
  // (Lean: `group (key ++ line ++ value)`).
  void Value(std::size_t v) {
    if (open_.empty()) {
      if (root_ != kNone) throw std::logic_error("LeanJsonWriter: a second top-level value");
      root_ = v;
      return;
    }
    Open& o = open_.back();
    if (o.object) {
      if (o.key == kNone) throw std::logic_error("LeanJsonWriter: an object member without a key");
      std::size_t line = Line();
      v = Group({o.key, line, v});
      o.key = kNone;
    }
    elems_.push_back(v);
  }

  // Lean: `Format.bracket l f r = group (nest l.length (l ++ f ++ r))`, with
  // elements joined by `"," ++ line`. The elements are `elems_` from `mark`
  // on (a stack shared by the nested containers), which this pops.
  std::size_t Bracket(const char* open, std::size_t mark, const char* close) {
    std::size_t open_text = Text(open);
    std::size_t begin = children.size();
    children.push_back(open_text);
    for (std::size_t i = mark; i < elems_.size(); ++i) {
      if (i > mark) {
        std::size_t comma = Text(",");
        std::size_t line = Line();
        children.push_back(comma);
        children.push_back(line);
      }
      children.push_back(elems_[i]);
    }
    std::size_t close_text = Text(close);
    children.push_back(close_text);
    elems_.resize(mark);
    return Group({Parent(Kind::kNest, 1, begin)});
  }

  std::vector<std::size_t> elems_;  // elements of the containers being built
  std::vector<Open> open_;          // the containers being built, innermost last
  std::size_t root_ = kNone;
};

// Wadler/Lean layout: a group is printed flat if it and everything after it up
// to the next line break of an enclosing (broken) group fit in the width.
class Layout {
 public:
  // Appends the layout of `root` to `out`, whose column is taken to be 0.
  void Run(const DocBuilder& doc, std::size_t root, std::string* out) {
    doc_ = &doc;
    out_ = out;
    column_ = 0;
    stack_.clear();
    stack_.push_back({root, 0, false});
    while (!stack_.empty()) {
      Item item = stack_.back();
      stack_.pop_back();
      const Node& n = doc_->nodes[item.node];
      switch (n.kind) {
        case Kind::kText:
          out_->append(doc_->arena, n.begin, n.size);
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
          for (std::size_t i = n.begin + n.size; i-- > n.begin;) {
            stack_.push_back({doc_->children[i], item.indent + n.indent, item.flat});
          }
          break;
        case Kind::kGroup: {
          bool flat = item.flat;
          if (!flat) {
            long remaining = static_cast<long>(kWidth) - static_cast<long>(column_);
            flat = Fits(item.node, item.indent, remaining);
          }
          for (std::size_t i = n.begin + n.size; i-- > n.begin;) {
            stack_.push_back({doc_->children[i], item.indent, flat});
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
      const Node& n = doc_->nodes[item.node];
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
          for (std::size_t i = n.begin + n.size; i-- > n.begin;) {
            probe_.push_back({doc_->children[i], item.indent, flat});
          }
          break;
        }
      }
    }
  }

  const DocBuilder* doc_ = nullptr;
  std::string* out_ = nullptr;
  std::size_t column_ = 0;
  std::vector<Item> stack_;
  std::vector<Item> probe_;
};

}  // namespace

void AppendLeanString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto plain = [](unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; };
  out->push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    // Runs of characters that need no escape go out in one append.
    std::size_t run = i;
    while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
    out->append(s.data() + i, run - i);
    if (run == s.size()) break;
    i = run;
    auto c = static_cast<unsigned char>(s[i]);
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
    }
  }
  out->push_back('"');
}

// A response's document and layout stacks, kept from one response to the
// next: their buffers grow to the largest response once instead of being
// allocated per node.
struct LeanJsonWriter::Printer {
  DocBuilder doc;
  Layout layout;
};

LeanJsonWriter::LeanJsonWriter() : p_(std::make_unique<Printer>()) {}
LeanJsonWriter::~LeanJsonWriter() = default;

void LeanJsonWriter::BeginObject() { p_->doc.BeginContainer(true); }
void LeanJsonWriter::Key(std::string_view key) { p_->doc.Key(key); }
void LeanJsonWriter::EndObject() { p_->doc.EndContainer(true); }
void LeanJsonWriter::BeginArray() { p_->doc.BeginContainer(false); }
void LeanJsonWriter::EndArray() { p_->doc.EndContainer(false); }
void LeanJsonWriter::String(std::string_view s) { p_->doc.String(s); }
void LeanJsonWriter::Natural(std::uint64_t n) { p_->doc.Integer(n); }
void LeanJsonWriter::Json(const nlohmann::json& value) { p_->doc.Build(value); }

void LeanJsonWriter::Clear() { p_->doc.Clear(); }

void LeanJsonWriter::AppendTo(std::string* out) {
  std::size_t root = p_->doc.Root();
  p_->layout.Run(p_->doc, root, out);
  p_->doc.Clear();
}

void AppendLeanPretty(const nlohmann::json& value, std::string* out) {
  // Per thread, so that the function stays thread-safe.
  thread_local LeanJsonWriter writer;
  writer.Clear();
  writer.Json(value);
  writer.AppendTo(out);
}

std::string LeanPretty(const nlohmann::json& value) {
  std::string out;
  AppendLeanPretty(value, &out);
  return out;
}

}  // namespace tatami::repl_double
