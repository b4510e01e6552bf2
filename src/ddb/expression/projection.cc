// ProjectionExpression: a comma-separated list of document paths.
#include <map>
#include <string>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/expression/parser.h"

namespace cruddur::ddb::expr {

// The projected paths as a tree: a node is either a leaf (take the whole value) or selects map
// keys or list indexes below it (never both: such paths conflict and are refused when parsed).
struct ProjectionNode {
  bool leaf = false;
  std::map<std::string, ProjectionNode, std::less<>> keys;
  std::map<int64_t, ProjectionNode> indexes;
};

namespace {

class ProjectionParser : public ParserBase {
 public:
  ProjectionParser(std::string_view text, Substitutions& subs)
      : ParserBase(text, "ProjectionExpression", subs) {}

  std::vector<Path> Parse() {
    std::vector<Path> paths;
    ParseCommaList([&] { CheckOverlap(paths, ParsePath()); });  // CheckOverlap keeps the path
    if (!At(Tok::kEof)) SyntaxErrorHere();
    ThrowRecorded({ErrorClass::kReserved, ErrorClass::kAttrName, ErrorClass::kPathOverlap,
                   ErrorClass::kPathConflict});
    return paths;
  }

 protected:
  bool IsKeyword(std::string_view) const override { return false; }
};

std::shared_ptr<const ProjectionNode> BuildTree(const std::vector<Path>& paths) {
  auto root = std::make_shared<ProjectionNode>();
  for (const Path& p : paths) {
    ProjectionNode* n = root.get();
    for (const PathElement& e : p) {
      n = e.is_index() ? &n->indexes[e.index] : &n->keys[e.name];
    }
    n->leaf = true;
  }
  return root;
}

// Projects `v` through `node`; false when nothing selected exists.
bool ProjectValue(const AttributeValue& v, const ProjectionNode& node, AttributeValue* out) {
  if (node.leaf) {
    *out = v;
    return true;
  }
  if (!node.keys.empty() && v.type == ValueType::kM) {
    Item m;
    for (const auto& [key, child] : node.keys) {
      auto it = v.map.find(key);
      if (it == v.map.end()) continue;
      AttributeValue projected;
      if (ProjectValue(it->second, child, &projected)) m.emplace(key, std::move(projected));
    }
    if (m.empty()) return false;
    *out = AttributeValue::M(std::move(m));
    return true;
  }
  if (!node.indexes.empty() && v.type == ValueType::kL) {
    List l;
    for (const auto& [index, child] : node.indexes) {
      if (static_cast<uint64_t>(index) >= v.list.size()) break;  // std::map: ascending indexes
      AttributeValue projected;
      if (ProjectValue(v.list[static_cast<size_t>(index)], child, &projected)) {
        l.push_back(std::move(projected));
      }
    }
    if (l.empty()) return false;
    *out = AttributeValue::L(std::move(l));
    return true;
  }
  return false;
}

}  // namespace

Projection Projection::Parse(std::string_view text, Substitutions& subs) {
  Projection p;
  p.paths_ = ProjectionParser(text, subs).Parse();
  p.tree_ = BuildTree(p.paths_);
  return p;
}

Projection Projection::FromPaths(std::vector<Path> paths) {
  Projection p;
  p.paths_ = std::move(paths);
  p.tree_ = BuildTree(p.paths_);
  return p;
}

Projection Projection::FromNames(const std::vector<std::string>& names) {
  Projection p;
  for (const std::string& n : names) {
    PathElement e;
    e.name = n;
    p.paths_.push_back(Path{e});
  }
  p.tree_ = BuildTree(p.paths_);
  return p;
}

Item Projection::Apply(const Item& item) const {
  Item out;
  if (!tree_) return out;
  for (const auto& [name, child] : tree_->keys) {
    auto it = item.find(name);
    if (it == item.end()) continue;
    if (child.leaf) {
      out.emplace(name, it->second);
      continue;
    }
    AttributeValue projected;
    if (ProjectValue(it->second, child, &projected)) out.emplace(name, std::move(projected));
  }
  return out;
}

}  // namespace cruddur::ddb::expr
