// In-memory Storage: a persistent (immutable, path-copying) AVL tree.
//
// Every write builds a new version of the tree that shares all untouched subtrees with the
// previous one (O(k log n) new nodes for a batch of k ops) and publishes it by swapping the
// root pointer. A reader copies the root pointer and then works on that immutable version with
// no lock held, so:
//   - NewIterator() is an O(1) snapshot that stays consistent for the iterator's whole life;
//   - readers never block writers and writers never block readers (only the pointer copy and
//     the pointer swap are serialised, by a mutex held for a few instructions);
//   - a thread may Write() while it holds iterators (no lock is held by an iterator);
//   - a batch is atomic because it is published with one swap (or not at all, if building it
//     throws).
// Writers are serialised among themselves by write_mutex_.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "ddb/storage/storage.h"

namespace cruddur::ddb::storage {
namespace {

// A minimal intrusive shared pointer to an immutable T: the count lives in the object (one
// allocation per object, 8-byte handles). T provides `mutable std::atomic<uint32_t> refs`
// (starting at 1 for the creating Ref) and `static void Destroy(const T*)`.
template <typename T>
class Ref {
 public:
  Ref() = default;
  Ref(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): reads like a pointer
  static Ref Adopt(const T* p) { return Ref(p); }
  Ref(const Ref& other) : p_(other.p_) {
    if (p_ != nullptr) p_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  Ref(Ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  Ref& operator=(Ref other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~Ref() {
    if (p_ != nullptr && p_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) T::Destroy(p_);
  }
  void swap(Ref& other) noexcept { std::swap(p_, other.p_); }
  const T* get() const { return p_; }
  const T* operator->() const { return p_; }
  const T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  bool operator==(const Ref& other) const { return p_ == other.p_; }

 private:
  explicit Ref(const T* p) : p_(p) {}
  const T* p_ = nullptr;
};

// Key and value bytes follow the header in one allocation, so a lookup touches one block per
// tree level besides the node, and path copying shares entries instead of copying strings.
struct Entry {
  mutable std::atomic<uint32_t> refs{1};
  uint32_t key_size = 0;
  uint32_t value_size = 0;

  std::string_view key() const { return {Bytes(), key_size}; }
  std::string_view value() const { return {Bytes() + key_size, value_size}; }

  static Ref<Entry> Make(std::string_view key, std::string_view value) {
    constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
    if (key.size() > kMax || value.size() > kMax) throw std::length_error("entry too large");
    void* memory = ::operator new(sizeof(Entry) + key.size() + value.size());
    auto* entry = new (memory) Entry;
    entry->key_size = static_cast<uint32_t>(key.size());
    entry->value_size = static_cast<uint32_t>(value.size());
    char* bytes = reinterpret_cast<char*>(entry + 1);
    if (!key.empty()) std::memcpy(bytes, key.data(), key.size());
    if (!value.empty()) std::memcpy(bytes + key.size(), value.data(), value.size());
    return Ref<Entry>::Adopt(entry);
  }
  static void Destroy(const Entry* entry) {
    entry->~Entry();
    ::operator delete(const_cast<Entry*>(entry));
  }

 private:
  const char* Bytes() const { return reinterpret_cast<const char*>(this + 1); }
};
using EntryPtr = Ref<Entry>;

struct Node;
using NodePtr = Ref<Node>;

struct Node {
  Node(NodePtr l, EntryPtr e, NodePtr r, int h)
      : height(h), left(std::move(l)), right(std::move(r)), entry(std::move(e)) {}
  static void Destroy(const Node* node) { delete node; }

  mutable std::atomic<uint32_t> refs{1};
  int height;
  NodePtr left;
  NodePtr right;
  EntryPtr entry;
};

int Height(const NodePtr& n) { return n ? n->height : 0; }

// A descent needs two dependent cache misses per level (the node, then its entry's key). Asking
// for both children while the key compare waits on the entry overlaps the next level's node
// miss with this level's entry miss.
void PrefetchChildren(const Node* n) {
  __builtin_prefetch(n->left.get());
  __builtin_prefetch(n->right.get());
}

NodePtr MakeNode(NodePtr left, EntryPtr entry, NodePtr right) {
  const int height = std::max(Height(left), Height(right)) + 1;
  return NodePtr::Adopt(new Node(std::move(left), std::move(entry), std::move(right), height));
}

// Joins left < entry < right into a balanced node. REQUIRES: the heights of left and right
// differ by at most 2 (true after one insert or erase below this node).
NodePtr Balance(NodePtr left, EntryPtr entry, NodePtr right) {
  const int hl = Height(left);
  const int hr = Height(right);
  if (hl > hr + 1) {
    if (Height(left->left) >= Height(left->right)) {
      return MakeNode(left->left, left->entry,
                      MakeNode(left->right, std::move(entry), std::move(right)));
    }
    const Node& lr = *left->right;
    return MakeNode(MakeNode(left->left, left->entry, lr.left), lr.entry,
                    MakeNode(lr.right, std::move(entry), std::move(right)));
  }
  if (hr > hl + 1) {
    if (Height(right->right) >= Height(right->left)) {
      return MakeNode(MakeNode(std::move(left), std::move(entry), right->left), right->entry,
                      right->right);
    }
    const Node& rl = *right->left;
    return MakeNode(MakeNode(std::move(left), std::move(entry), rl.left), rl.entry,
                    MakeNode(rl.right, right->entry, right->right));
  }
  return MakeNode(std::move(left), std::move(entry), std::move(right));
}

NodePtr Insert(const NodePtr& node, EntryPtr entry) {
  if (!node) return MakeNode(nullptr, std::move(entry), nullptr);
  PrefetchChildren(node.get());
  const int cmp = entry->key().compare(node->entry->key());
  if (cmp == 0) return MakeNode(node->left, std::move(entry), node->right);
  if (cmp < 0) return Balance(Insert(node->left, std::move(entry)), node->entry, node->right);
  return Balance(node->left, node->entry, Insert(node->right, std::move(entry)));
}

// Removes the smallest entry of a non-empty tree, returning it through `min`.
NodePtr EraseMin(const NodePtr& node, EntryPtr& min) {
  if (!node->left) {
    min = node->entry;
    return node->right;
  }
  return Balance(EraseMin(node->left, min), node->entry, node->right);
}

// Returns `node` itself (no copy) when the key is absent.
NodePtr Erase(const NodePtr& node, std::string_view key) {
  if (!node) return node;
  const int cmp = key.compare(node->entry->key());
  if (cmp == 0) {
    if (!node->left) return node->right;
    if (!node->right) return node->left;
    EntryPtr successor;
    NodePtr right = EraseMin(node->right, successor);
    return Balance(node->left, std::move(successor), std::move(right));
  }
  if (cmp < 0) {
    NodePtr left = Erase(node->left, key);
    if (left == node->left) return node;
    return Balance(std::move(left), node->entry, node->right);
  }
  NodePtr right = Erase(node->right, key);
  if (right == node->right) return node;
  return Balance(node->left, node->entry, std::move(right));
}

// Walks one immutable version. The stack holds the path from the root to the current node, so
// Next and Prev are amortised O(1) and need no parent pointers.
class MemoryIterator final : public Iterator {
 public:
  explicit MemoryIterator(NodePtr root) : root_(std::move(root)) { path_.reserve(64); }

  void Seek(std::string_view target) override {
    // The answer is the deepest node on the search path whose key is >= target.
    path_.clear();
    size_t best = 0;  // path length up to and including the best node; 0 = none
    for (const Node* n = root_.get(); n != nullptr;) {
      PrefetchChildren(n);
      path_.push_back(n);
      if (n->entry->key() >= target) {
        best = path_.size();
        n = n->left.get();
      } else {
        n = n->right.get();
      }
    }
    path_.resize(best);
  }

  void SeekForPrev(std::string_view target) override {
    path_.clear();
    size_t best = 0;
    for (const Node* n = root_.get(); n != nullptr;) {
      PrefetchChildren(n);
      path_.push_back(n);
      if (n->entry->key() <= target) {
        best = path_.size();
        n = n->right.get();
      } else {
        n = n->left.get();
      }
    }
    path_.resize(best);
  }

  bool Valid() const override { return !path_.empty(); }

  void Next() override { Step(&Node::right, &Node::left); }
  void Prev() override { Step(&Node::left, &Node::right); }

  std::string_view key() const override { return path_.back()->entry->key(); }
  std::string_view value() const override { return path_.back()->entry->value(); }

 private:
  // Moves to the in-order neighbour on the `ahead` side (right: the successor): the nearest node
  // of the `ahead` subtree, else the parent reached by climbing out of a `behind` subtree.
  void Step(NodePtr Node::*ahead, NodePtr Node::*behind) {
    const Node* n = path_.back();
    if (n->*ahead) {
      for (n = (n->*ahead).get(); n != nullptr; n = (n->*behind).get()) path_.push_back(n);
      return;
    }
    for (;;) {
      const Node* child = path_.back();
      path_.pop_back();
      if (path_.empty() || (path_.back()->*behind).get() == child) return;
    }
  }

  NodePtr root_;  // keeps the whole version alive
  std::vector<const Node*> path_;
};

class MemoryStorage final : public Storage {
 public:
  bool Read(std::string_view key, const std::function<void(std::string_view)>& read) override {
    const NodePtr root = Root();  // keeps the entry alive during `read`
    for (const Node* n = root.get(); n != nullptr;) {
      PrefetchChildren(n);
      const int cmp = key.compare(n->entry->key());
      if (cmp == 0) {
        read(n->entry->value());
        return true;
      }
      n = cmp < 0 ? n->left.get() : n->right.get();
    }
    return false;
  }

  void Write(const WriteBatch& batch) override {
    if (batch.empty()) return;
    NodePtr root;  // declared first so the replaced version is freed after both locks
    MutexLock write_lock(write_mutex_);
    // Only writers change root_, and we are the only writer: it stays this version until our swap.
    root = Root();
    for (const WriteBatch::Op& op : batch.ops()) {
      if (op.value) {
        root = Insert(root, Entry::Make(op.key, *op.value));
      } else {
        root = Erase(root, op.key);
      }
    }
    MutexLock root_lock(root_mutex_);
    root_.swap(root);  // `root` now holds the old version
  }

  std::unique_ptr<Iterator> NewIterator() override {
    return std::make_unique<MemoryIterator>(Root());
  }

 private:
  NodePtr Root() const {
    MutexLock lock(root_mutex_);
    return root_;
  }

  Mutex write_mutex_ ACQUIRED_BEFORE(root_mutex_);  // serialises writers
  mutable Mutex root_mutex_;                        // guards reads and the swap of root_
  NodePtr root_ GUARDED_BY(root_mutex_);
};

}  // namespace

std::unique_ptr<Storage> OpenMemoryStorage() { return std::make_unique<MemoryStorage>(); }

}  // namespace cruddur::ddb::storage
