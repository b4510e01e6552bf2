// In-memory Storage: a persistent (path-copying) AVL tree, changed in place while unshared.
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
//
// While no snapshot is alive (no Read in progress, no iterator), the current version is the only
// one and nothing else can reach its nodes: a write then changes that tree in place (rotations,
// no copies), holding root_mutex_ so that no reader starts meanwhile. Path copying cost a write
// O(log n) node allocations and as many reference releases of the replaced path, a third of an
// in-memory BatchWriteItem (bench/writes_findings.md).
//
// Each node keeps the first bytes of its key (KeyPrefix) beside the pointer to its entry, so a
// descent compares keys without loading the entry (another cache miss per level) until it meets
// a key of the same first bytes: an item key's first 16 bytes hold its partition hash, which
// differs between nearly any two partitions of a big table.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string_view>
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

// The first kBytes bytes of a key, zero-padded, as big-endian integers: where two keys' prefixes
// differ, the integers order them as their bytes do (unsigned); where they are equal, only the
// whole keys can (a key shorter than kBytes pads with zeros, so "a" and "a\0" look alike).
struct KeyPrefix {
  static constexpr size_t kWords = 2;
  static constexpr size_t kBytes = kWords * sizeof(uint64_t);
  uint64_t words[kWords] = {};

  static KeyPrefix Of(std::string_view key) {
    unsigned char bytes[kBytes] = {};
    if (!key.empty()) std::memcpy(bytes, key.data(), std::min(key.size(), kBytes));
    KeyPrefix prefix;
    for (size_t i = 0; i < kWords; ++i) {
      uint64_t word;
      std::memcpy(&word, bytes + i * sizeof word, sizeof word);
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      prefix.words[i] = word;
    }
    return prefix;
  }
  // <0, 0 or >0 as the prefixes order; 0 says nothing about the keys.
  int Compare(const KeyPrefix& other) const {
    for (size_t i = 0; i < kWords; ++i) {
      if (words[i] != other.words[i]) return words[i] < other.words[i] ? -1 : 1;
    }
    return 0;
  }
};

// An entry with its key's prefix: what a node holds, moved and copied as one.
struct Keyed {
  KeyPrefix prefix;
  EntryPtr entry;

  static Keyed Make(std::string_view key, std::string_view value) {
    return {KeyPrefix::Of(key), Entry::Make(key, value)};
  }
};

// A key being looked up, its prefix computed once for the whole descent.
class SearchKey {
 public:
  explicit SearchKey(std::string_view key) : key_(key), prefix_(KeyPrefix::Of(key)) {}
  explicit SearchKey(const Keyed& keyed) : key_(keyed.entry->key()), prefix_(keyed.prefix) {}

  // key.compare(other's key), reading other's entry only when the prefixes are equal.
  int Compare(const Keyed& other) const {
    const int cmp = prefix_.Compare(other.prefix);
    return cmp != 0 ? cmp : key_.compare(other.entry->key());
  }

 private:
  std::string_view key_;
  KeyPrefix prefix_;
};

struct Node;
using NodePtr = Ref<Node>;

struct Node {
  Node(NodePtr l, Keyed k, NodePtr r, int h)
      : height(h), left(std::move(l)), right(std::move(r)), keyed(std::move(k)) {}
  static void Destroy(const Node* node) { delete node; }

  mutable std::atomic<uint32_t> refs{1};
  int height;
  NodePtr left;
  NodePtr right;
  Keyed keyed;
};

int Height(const NodePtr& n) { return n ? n->height : 0; }

// A node of the only version while no snapshot is alive, which the writer may change in place.
Node& Mutable(const NodePtr& n) { return const_cast<Node&>(*n); }

// Asking for both children before the compare has chosen one starts the next level's miss early
// (and, for a write, brings in the siblings that its rebalancing reads). Without it a 1M-item
// store's GetItem took 20% longer and PutItem's Read + Write 25% (bench/engine_bench.cc's
// BM_BigMemory_*).
void PrefetchChildren(const Node* n) {
  __builtin_prefetch(n->left.get());
  __builtin_prefetch(n->right.get());
}

NodePtr MakeNode(NodePtr left, Keyed keyed, NodePtr right) {
  const int height = std::max(Height(left), Height(right)) + 1;
  return NodePtr::Adopt(new Node(std::move(left), std::move(keyed), std::move(right), height));
}

// Joins left < entry < right into a balanced node. REQUIRES: the heights of left and right
// differ by at most 2 (true after one insert or erase below this node).
NodePtr Balance(NodePtr left, Keyed entry, NodePtr right) {
  const int hl = Height(left);
  const int hr = Height(right);
  if (hl > hr + 1) {
    if (Height(left->left) >= Height(left->right)) {
      return MakeNode(left->left, left->keyed,
                      MakeNode(left->right, std::move(entry), std::move(right)));
    }
    const Node& lr = *left->right;
    return MakeNode(MakeNode(left->left, left->keyed, lr.left), lr.keyed,
                    MakeNode(lr.right, std::move(entry), std::move(right)));
  }
  if (hr > hl + 1) {
    if (Height(right->right) >= Height(right->left)) {
      return MakeNode(MakeNode(std::move(left), std::move(entry), right->left), right->keyed,
                      right->right);
    }
    const Node& rl = *right->left;
    return MakeNode(MakeNode(std::move(left), std::move(entry), rl.left), rl.keyed,
                    MakeNode(rl.right, right->keyed, right->right));
  }
  return MakeNode(std::move(left), std::move(entry), std::move(right));
}

NodePtr Insert(const NodePtr& node, Keyed entry) {
  if (!node) return MakeNode(nullptr, std::move(entry), nullptr);
  PrefetchChildren(node.get());
  const int cmp = SearchKey(entry).Compare(node->keyed);
  if (cmp == 0) return MakeNode(node->left, std::move(entry), node->right);
  if (cmp < 0) return Balance(Insert(node->left, std::move(entry)), node->keyed, node->right);
  return Balance(node->left, node->keyed, Insert(node->right, std::move(entry)));
}

// Removes the smallest entry of a non-empty tree, returning it through `min`.
NodePtr EraseMin(const NodePtr& node, Keyed& min) {
  if (!node->left) {
    min = node->keyed;
    return node->right;
  }
  return Balance(EraseMin(node->left, min), node->keyed, node->right);
}

// Returns `node` itself (no copy) when the key is absent.
NodePtr Erase(const NodePtr& node, const SearchKey& key) {
  if (!node) return node;
  const int cmp = key.Compare(node->keyed);
  if (cmp == 0) {
    if (!node->left) return node->right;
    if (!node->right) return node->left;
    Keyed successor;
    NodePtr right = EraseMin(node->right, successor);
    return Balance(node->left, std::move(successor), std::move(right));
  }
  if (cmp < 0) {
    NodePtr left = Erase(node->left, key);
    if (left == node->left) return node;
    return Balance(std::move(left), node->keyed, node->right);
  }
  NodePtr right = Erase(node->right, key);
  if (right == node->right) return node;
  return Balance(node->left, node->keyed, std::move(right));
}

// --- in place (the writer's own version: no snapshot alive, root_mutex_ held) ---

void UpdateHeight(Node& n) { n.height = std::max(Height(n.left), Height(n.right)) + 1; }

// Rotates the subtree at `slot` so that its `Near` child becomes its root: Rotate<&Node::left,
// &Node::right> is a right rotation, the other order a left one.
template <NodePtr Node::*Near, NodePtr Node::*Far>
void Rotate(NodePtr& slot) noexcept {
  NodePtr child = std::move(Mutable(slot).*Near);
  Mutable(slot).*Near = std::move(Mutable(child).*Far);
  UpdateHeight(Mutable(slot));
  Mutable(child).*Far = std::move(slot);
  UpdateHeight(Mutable(child));
  slot = std::move(child);
}
void RotateRight(NodePtr& slot) noexcept { Rotate<&Node::left, &Node::right>(slot); }
void RotateLeft(NodePtr& slot) noexcept { Rotate<&Node::right, &Node::left>(slot); }

// Restores the AVL balance at `slot` after one insert or erase below it (Balance's rotations).
void Rebalance(NodePtr& slot) noexcept {
  Node& n = Mutable(slot);
  const int hl = Height(n.left);
  const int hr = Height(n.right);
  if (hl > hr + 1) {
    if (Height(n.left->left) < Height(n.left->right)) RotateLeft(n.left);
    RotateRight(slot);
  } else if (hr > hl + 1) {
    if (Height(n.right->right) < Height(n.right->left)) RotateRight(n.right);
    RotateLeft(slot);
  } else {
    UpdateHeight(n);
  }
}

// Links `leaf` (a new node of one entry, made before the write took its locks) in, or moves its
// entry into the node of an equal key. Allocates nothing, so a batch cannot stop half applied.
void InsertInPlace(NodePtr& slot, NodePtr& leaf) noexcept {
  if (!slot) {
    slot = std::move(leaf);
    return;
  }
  Node& n = Mutable(slot);
  PrefetchChildren(&n);
  const int cmp = SearchKey(leaf->keyed).Compare(n.keyed);
  if (cmp == 0) {
    n.keyed = std::move(Mutable(leaf).keyed);
    return;
  }
  InsertInPlace(cmp < 0 ? n.left : n.right, leaf);
  Rebalance(slot);
}

// Unlinks the smallest node of a non-empty subtree and returns its entry.
Keyed EraseMinInPlace(NodePtr& slot) noexcept {
  Node& n = Mutable(slot);
  if (!n.left) {
    Keyed min = std::move(n.keyed);
    NodePtr right = std::move(n.right);
    slot = std::move(right);
    return min;
  }
  Keyed min = EraseMinInPlace(n.left);
  Rebalance(slot);
  return min;
}

void EraseInPlace(NodePtr& slot, const SearchKey& key) noexcept {
  if (!slot) return;
  Node& n = Mutable(slot);
  const int cmp = key.Compare(n.keyed);
  if (cmp == 0) {
    if (!n.left || !n.right) {
      NodePtr child = std::move(n.left ? n.left : n.right);
      slot = std::move(child);
      return;
    }
    n.keyed = EraseMinInPlace(n.right);
  } else {
    EraseInPlace(cmp < 0 ? n.left : n.right, key);
  }
  Rebalance(slot);
}

// A reader's hold on one version: keeps it alive and counts as alive in `live`, so that the
// writer changes nodes in place only while no reader can see them. Made under root_mutex_.
class Snapshot {
 public:
  Snapshot(NodePtr root, std::atomic<int>* live) : root_(std::move(root)), live_(live) {
    live_->fetch_add(1, std::memory_order_relaxed);
  }
  ~Snapshot() {
    root_ = nullptr;  // a version's last holder frees it before the count says it is gone
    live_->fetch_sub(1, std::memory_order_release);
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  const Node* root() const { return root_.get(); }

 private:
  NodePtr root_;
  std::atomic<int>* live_;
};

// Walks one immutable version. The stack holds the path from the root to the current node, so
// Next and Prev are amortised O(1) and need no parent pointers.
class MemoryIterator final : public Iterator {
 public:
  explicit MemoryIterator(std::unique_ptr<Snapshot> snapshot) : snapshot_(std::move(snapshot)) {
    path_.reserve(64);
  }

  void Seek(std::string_view target) override {
    // The answer is the deepest node on the search path whose key is >= target.
    path_.clear();
    const SearchKey key(target);
    size_t best = 0;  // path length up to and including the best node; 0 = none
    for (const Node* n = snapshot_->root(); n != nullptr;) {
      PrefetchChildren(n);
      path_.push_back(n);
      if (key.Compare(n->keyed) <= 0) {
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
    const SearchKey key(target);
    size_t best = 0;
    for (const Node* n = snapshot_->root(); n != nullptr;) {
      PrefetchChildren(n);
      path_.push_back(n);
      if (key.Compare(n->keyed) >= 0) {
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

  std::string_view key() const override { return path_.back()->keyed.entry->key(); }
  std::string_view value() const override { return path_.back()->keyed.entry->value(); }

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

  std::unique_ptr<Snapshot> snapshot_;  // keeps the whole version alive
  std::vector<const Node*> path_;
};

class MemoryStorage final : public Storage {
 public:
  bool Read(std::string_view key, const std::function<void(std::string_view)>& read) override {
    MutexLock lock(root_mutex_);
    Snapshot snapshot(root_, &snapshots_);  // keeps the entry alive during `read`
    lock.Unlock();
    const Entry* entry = Find(snapshot.root(), key);
    if (entry == nullptr) return false;
    read(entry->value());
    return true;
  }

  void MultiRead(const std::vector<std::string_view>& keys,
                 const std::function<void(size_t, std::string_view)>& read) override {
    MutexLock lock(root_mutex_);
    Snapshot snapshot(root_, &snapshots_);  // one version for all of them
    lock.Unlock();
    for (size_t i = 0; i < keys.size(); ++i) {
      if (const Entry* entry = Find(snapshot.root(), keys[i])) read(i, entry->value());
    }
  }

  void Write(const WriteBatch& batch) override {
    if (batch.empty()) return;
    // Every allocation comes first, so that a batch changed in place cannot fail half applied:
    // one leaf (a new node of the new entry) per put, null for a delete.
    std::vector<NodePtr> leaves;
    leaves.reserve(batch.size());
    for (const WriteBatch::Op& op : batch.ops()) {
      leaves.push_back(op.value ? MakeNode(nullptr, Keyed::Make(op.key, *op.value), nullptr)
                                : nullptr);
    }
    MutexLock write_lock(write_mutex_);
    {
      MutexLock root_lock(root_mutex_);
      if (snapshots_.load(std::memory_order_acquire) == 0) {
        ApplyInPlace(batch, leaves);
        return;
      }
    }
    // A snapshot may be reading this version: build the next one beside it. Only writers change
    // root_, and we are the only writer: it stays this version until our swap.
    NodePtr root = RootCopy();
    for (size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i]) {
        root = Insert(root, std::move(Mutable(leaves[i]).keyed));
      } else {
        root = Erase(root, SearchKey(batch.ops()[i].key));
      }
    }
    {
      MutexLock root_lock(root_mutex_);
      root_.swap(root);  // `root` now holds the old version
    }
    // Freed (when no snapshot holds it) before another writer may change nodes in place.
    root = nullptr;
  }

  std::unique_ptr<Iterator> NewIterator() override {
    MutexLock lock(root_mutex_);
    auto snapshot = std::make_unique<Snapshot>(root_, &snapshots_);
    lock.Unlock();
    return std::make_unique<MemoryIterator>(std::move(snapshot));
  }

 private:
  void ApplyInPlace(const WriteBatch& batch, std::vector<NodePtr>& leaves) noexcept
      REQUIRES(root_mutex_) {
    for (size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i]) {
        InsertInPlace(root_, leaves[i]);
      } else {
        EraseInPlace(root_, SearchKey(batch.ops()[i].key));
      }
    }
  }

  static const Entry* Find(const Node* n, std::string_view target) {
    const SearchKey key(target);
    while (n != nullptr) {
      PrefetchChildren(n);
      const int cmp = key.Compare(n->keyed);
      if (cmp == 0) return n->keyed.entry.get();
      n = cmp < 0 ? n->left.get() : n->right.get();
    }
    return nullptr;
  }

  NodePtr RootCopy() const {
    MutexLock lock(root_mutex_);
    return root_;
  }

  Mutex write_mutex_ ACQUIRED_BEFORE(root_mutex_);  // serialises writers
  mutable Mutex root_mutex_;                        // guards reads and changes of root_
  NodePtr root_ GUARDED_BY(root_mutex_);
  // Snapshots alive, of any version; made only under root_mutex_.
  std::atomic<int> snapshots_{0};
};

}  // namespace

std::unique_ptr<Storage> OpenMemoryStorage() { return std::make_unique<MemoryStorage>(); }

}  // namespace cruddur::ddb::storage
