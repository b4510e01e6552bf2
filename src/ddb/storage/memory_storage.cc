// In-memory Storage: a persistent (path-copying) B+tree, changed in place while unshared.
//
// Every write builds a new version of the tree that shares all untouched nodes with the previous
// one (it copies the nodes from the root to each changed leaf) and publishes it by swapping the
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
// A write that fits the pool (below) changes the current version in place instead, holding
// root_mutex_ so that no reader starts meanwhile. It copies only the nodes that an older version
// still shares (Own: a node held once, under nodes held once, is reachable from the current root
// alone), with every new node, copies and splits alike, taken from a pool filled before it began,
// so that it cannot fail half applied. With no snapshot alive nothing is shared and nothing is
// copied. With one alive (a long Scan, a stream reader) the first write copies its path and the
// next ones only what they reach of the snapshot's nodes, where copying every write's whole path
// cost it 2-3 times a write without one. Path copying cost a write as many node allocations and
// reference releases as it copied nodes, a third of an in-memory BatchWriteItem
// (bench/writes_findings.md).
//
// Wide nodes (31 entries or children) make a tree of a million entries 4-5 levels deep, where a
// binary tree has ~20, each a wait for memory in a big table; and a Query reads its items from
// one or two leaves, side by side in memory (issue 21).
//
// Each slot keeps the first bytes of its key (KeyPrefix) beside the pointer to its entry, so a
// search compares keys without loading the entry (a cache miss each) until it meets a key of the
// same first bytes: an item key's first 16 bytes hold its partition hash, which differs between
// nearly any two partitions of a big table.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <optional>
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

// --- the tree: a B+tree whose nodes are shared between versions ---
//
// Leaves hold up to kLeafSlots entries in key order; an inner node up to kInnerSlots children,
// child i holding the keys >= keys[i] (keys[0] unused) and < keys[i + 1]. A separator is the
// first key its child had when it was made: a lower bound, not always a key still present. Every
// leaf is at the same depth; only the root may be empty (a leaf with no entries). Both sizes
// keep a node within jemalloc's size classes of 768 and 1024 bytes.
constexpr int kLeafSlots = 31;
constexpr int kInnerSlots = 31;
// A node left with fewer entries than this by an erase is merged with a neighbour that has room.
constexpr int kMergeBelow = 8;

struct Node;
using NodePtr = Ref<Node>;

struct Node {
  explicit Node(bool is_leaf) : leaf(is_leaf) {}
  static void Destroy(const Node* node);

  mutable std::atomic<uint32_t> refs{1};
  int count = 0;  // entries of a leaf, children of an inner node
  const bool leaf;
};

struct Leaf : Node {
  Leaf() : Node(true) {}
  Keyed slots[kLeafSlots];
};

struct Inner : Node {
  Inner() : Node(false) {}
  Keyed keys[kInnerSlots];
  NodePtr children[kInnerSlots];
};

// Asks for the counts of everything a node holds: copying or freeing the node changes each, and
// a change of a count (a locked instruction) waits for its cache line before the next may start,
// so without this a copy of a node took a full memory latency per entry and child, one after
// the other (BM_BigMemory_PutItem with an iterator alive: 31 entries and children per node).
void PrefetchHeld(const Node& n);

static_assert(sizeof(Leaf) <= 768 && sizeof(Inner) <= 1024);

void Node::Destroy(const Node* node) {
  PrefetchHeld(*node);
  if (node->leaf) {
    delete static_cast<const Leaf*>(node);
  } else {
    delete static_cast<const Inner*>(node);
  }
}

const Leaf& AsLeaf(const Node& n) { return static_cast<const Leaf&>(n); }
const Inner& AsInner(const Node& n) { return static_cast<const Inner&>(n); }

void PrefetchHeld(const Node& n) {
  if (n.leaf) {
    const Leaf& leaf = AsLeaf(n);
    for (int i = 0; i < leaf.count; ++i) __builtin_prefetch(leaf.slots[i].entry.get(), 1);
    return;
  }
  const Inner& in = AsInner(n);
  for (int i = 0; i < in.count; ++i) {
    __builtin_prefetch(in.keys[i].entry.get(), 1);
    __builtin_prefetch(in.children[i].get(), 1);
  }
}

// Asks for the whole node while the previous level's search runs on: a search reads ~5 of its
// cache lines, one after the other, and the memory system fetches all of them at once. With
// ~4 levels above a million entries this is ~4 waits for memory per lookup, where the AVL tree
// it replaced took one per level of ~20 (issue 21: MemoryStorage::Read was 11.5% of an
// in-memory PutItem server's CPU).
void PrefetchNode(const Node* n) {
  const size_t bytes = n->leaf ? sizeof(Leaf) : sizeof(Inner);
  const char* p = reinterpret_cast<const char*>(n);
  for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(p + offset);
}

// The child of `in` whose range holds `key`: the last i with i == 0 or keys[i] <= key.
int ChildIndex(const Inner& in, const SearchKey& key) {
  int lo = 1;
  int hi = in.count;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (key.Compare(in.keys[mid]) < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo - 1;
}

// The first slot of `leaf` whose key is >= key (or > key, with `after_equal`).
int SlotIndex(const Leaf& leaf, const SearchKey& key, bool after_equal = false) {
  int lo = 0;
  int hi = leaf.count;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    const int cmp = key.Compare(leaf.slots[mid]);
    if (cmp > 0 || (after_equal && cmp == 0)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const Leaf& LeafFor(const Node* n, const SearchKey& key) {
  while (!n->leaf) {
    const Inner& in = AsInner(*n);
    n = in.children[ChildIndex(in, key)].get();
    PrefetchNode(n);
  }
  return AsLeaf(*n);
}

// New nodes for a write. A write that changes the tree in place takes them from `pool`, filled
// before it began, so that it cannot fail half applied; one that builds a new version beside
// the old allocates as it goes (a failure then publishes nothing).
struct NodeSource {
  std::vector<NodePtr>* leaves = nullptr;
  std::vector<NodePtr>* inners = nullptr;

  NodePtr Take(bool leaf) const {
    std::vector<NodePtr>* pool = leaf ? leaves : inners;
    if (pool != nullptr && !pool->empty()) {
      NodePtr node = std::move(pool->back());
      pool->pop_back();
      return node;
    }
    return leaf ? NodePtr::Adopt(new Leaf) : NodePtr::Adopt(new Inner);
  }
};

Leaf& MutableLeaf(const NodePtr& n) { return const_cast<Leaf&>(AsLeaf(*n)); }
Inner& MutableInner(const NodePtr& n) { return const_cast<Inner&>(AsInner(*n)); }

// The node at `slot`, to change: itself when nothing else holds it (no other version can reach
// it), else a copy put in its place, whose children are then shared with the old one (so the
// descent copies them in turn). REQUIRES: every node above `slot` is the writer's own.
Node& Own(NodePtr& slot, const NodeSource& source) {
  if (slot->refs.load(std::memory_order_acquire) != 1) {
    PrefetchHeld(*slot);
    NodePtr copy = source.Take(slot->leaf);
    if (slot->leaf) {
      const Leaf& from = AsLeaf(*slot);
      Leaf& to = MutableLeaf(copy);
      std::copy(from.slots, from.slots + from.count, to.slots);
      to.count = from.count;
    } else {
      const Inner& from = AsInner(*slot);
      Inner& to = MutableInner(copy);
      std::copy(from.keys, from.keys + from.count, to.keys);
      std::copy(from.children, from.children + from.count, to.children);
      to.count = from.count;
    }
    slot = std::move(copy);
  }
  return const_cast<Node&>(*slot);
}

// Moves a[from..count) one place right, making room at `from`.
template <typename T>
void OpenGap(T* a, int count, int from) {
  std::move_backward(a + from, a + count, a + count + 1);
}
// Moves a[from + 1..count) one place left over a[from], and clears the last.
template <typename T>
void CloseGap(T* a, int count, int from) {
  std::move(a + from + 1, a + count, a + from);
  a[count - 1] = T();
}

// What an insert into a full node splits off: its right half, and the separator that leads it.
struct Split {
  Keyed separator;
  NodePtr right;
};

// REQUIRES: the node has room.
void InsertSlot(Leaf& leaf, int pos, Keyed& item) {
  OpenGap(leaf.slots, leaf.count, pos);
  leaf.slots[pos] = std::move(item);
  ++leaf.count;
}
void InsertChild(Inner& in, int pos, Split& split) {
  OpenGap(in.keys, in.count, pos);
  OpenGap(in.children, in.count, pos);
  in.keys[pos] = std::move(split.separator);
  in.children[pos] = std::move(split.right);
  ++in.count;
}
void RemoveChild(Inner& in, int pos) {
  CloseGap(in.keys, in.count, pos);
  CloseGap(in.children, in.count, pos);
  --in.count;
}

std::optional<Split> InsertInto(NodePtr& slot, Keyed& item, const NodeSource& source) {
  const SearchKey key(item);
  if (slot->leaf) {
    Leaf& leaf = static_cast<Leaf&>(Own(slot, source));
    const int pos = SlotIndex(leaf, key);
    if (pos < leaf.count && key.Compare(leaf.slots[pos]) == 0) {
      leaf.slots[pos] = std::move(item);
      return std::nullopt;
    }
    if (leaf.count < kLeafSlots) {
      InsertSlot(leaf, pos, item);
      return std::nullopt;
    }
    // Full: the upper half goes to a new right sibling, then the item goes where it belongs.
    NodePtr right_node = source.Take(true);
    Leaf& right = MutableLeaf(right_node);
    const int keep = (kLeafSlots + 1) / 2;
    std::move(leaf.slots + keep, leaf.slots + kLeafSlots, right.slots);
    right.count = kLeafSlots - keep;
    leaf.count = keep;
    if (pos <= keep) {
      InsertSlot(leaf, pos, item);
    } else {
      InsertSlot(right, pos - keep, item);
    }
    return Split{right.slots[0], std::move(right_node)};
  }
  Inner& in = static_cast<Inner&>(Own(slot, source));
  const int i = ChildIndex(in, key);
  std::optional<Split> split = InsertInto(in.children[i], item, source);
  if (!split) return std::nullopt;
  const int pos = i + 1;  // where the child's new right sibling goes
  if (in.count < kInnerSlots) {
    InsertChild(in, pos, *split);
    return std::nullopt;
  }
  NodePtr right_node = source.Take(false);
  Inner& right = MutableInner(right_node);
  const int keep = (kInnerSlots + 1) / 2;
  std::move(in.keys + keep, in.keys + kInnerSlots, right.keys);
  std::move(in.children + keep, in.children + kInnerSlots, right.children);
  right.count = kInnerSlots - keep;
  in.count = keep;
  if (pos <= keep) {
    InsertChild(in, pos, *split);
  } else {
    InsertChild(right, pos - keep, *split);
  }
  // right.keys[0] (unused in a node) stays: it is the separator the parent gets.
  return Split{right.keys[0], std::move(right_node)};
}

void Insert(NodePtr& root, Keyed item, const NodeSource& source) {
  std::optional<Split> split = InsertInto(root, item, source);
  if (!split) return;
  NodePtr top = source.Take(false);
  Inner& in = MutableInner(top);
  in.children[0] = std::move(root);
  in.keys[1] = std::move(split->separator);
  in.children[1] = std::move(split->right);
  in.count = 2;
  root = std::move(top);
}

// Appends the node at `right` to its left neighbour `left` (both children of one parent, the
// separator between them `separator`). `right` is only read: it may be shared.
void Append(Node& left, const Node& right, const Keyed& separator) {
  if (left.leaf) {
    Leaf& l = static_cast<Leaf&>(left);
    const Leaf& r = AsLeaf(right);
    std::copy(r.slots, r.slots + r.count, l.slots + l.count);
    l.count += r.count;
    return;
  }
  Inner& l = static_cast<Inner&>(left);
  const Inner& r = AsInner(right);
  std::copy(r.keys, r.keys + r.count, l.keys + l.count);
  l.keys[l.count] = separator;  // r.keys[0] is unused, and may be stale
  std::copy(r.children, r.children + r.count, l.children + l.count);
  l.count += r.count;
}

// Removes `key` from the subtree at `slot`, which holds it. Leaves the subtree's root with no
// entries when it held only the key; a child left with few merges into a neighbour with room.
// Frees nodes and allocates none in place (merging needs no new node).
void EraseFrom(NodePtr& slot, const SearchKey& key, const NodeSource& source) {
  if (slot->leaf) {
    Leaf& leaf = static_cast<Leaf&>(Own(slot, source));
    const int pos = SlotIndex(leaf, key);
    CloseGap(leaf.slots, leaf.count, pos);
    --leaf.count;
    return;
  }
  Inner& in = static_cast<Inner&>(Own(slot, source));
  const int i = ChildIndex(in, key);
  EraseFrom(in.children[i], key, source);
  const int left_count = in.children[i]->count;
  if (left_count == 0) {
    RemoveChild(in, i);
    return;
  }
  if (left_count >= kMergeBelow || in.count < 2) return;
  // Merge with the right neighbour, or (for the last child) into the left one.
  const int l = i + 1 < in.count ? i : i - 1;
  const int capacity = in.children[l]->leaf ? kLeafSlots : kInnerSlots;
  if (in.children[l]->count + in.children[l + 1]->count > capacity) return;
  Append(Own(in.children[l], source), *in.children[l + 1], in.keys[l + 1]);
  RemoveChild(in, l + 1);
}

void Erase(NodePtr& root, const SearchKey& key, const NodeSource& source) {
  EraseFrom(root, key, source);
  // An inner root of one child gives way to it; one of none (its last entry gone) to a leaf.
  while (!root->leaf && root->count <= 1) {
    root = root->count == 1 ? NodePtr(AsInner(*root).children[0]) : source.Take(true);
  }
}

const Entry* Find(const Node* root, std::string_view target) {
  const SearchKey key(target);
  const Leaf& leaf = LeafFor(root, key);
  const int pos = SlotIndex(leaf, key);
  if (pos < leaf.count && key.Compare(leaf.slots[pos]) == 0) return leaf.slots[pos].entry.get();
  return nullptr;
}

// Levels from the root to the leaves (1: the root is a leaf).
int Depth(const Node* n) {
  int depth = 1;
  for (; !n->leaf; n = AsInner(*n).children[0].get()) ++depth;
  return depth;
}

// A reader's hold on one version: keeps it alive (its nodes are then shared, and a writer copies
// before changing them) and counts as alive in `live`, so that the writer knows whether copies
// may be needed. Made under root_mutex_.
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

// Walks one immutable version. The path holds each level's node and the child (or, at the leaf,
// the slot) it is at, so Next and Prev step within a leaf and climb only at its ends.
class MemoryIterator final : public Iterator {
 public:
  explicit MemoryIterator(std::unique_ptr<Snapshot> snapshot) : snapshot_(std::move(snapshot)) {
    path_.reserve(16);
  }

  void Seek(std::string_view target) override {
    const Leaf& leaf = Descend(SearchKey(target));
    const int pos = SlotIndex(leaf, SearchKey(target));
    path_.push_back({&leaf, pos});
    if (pos == leaf.count) NextLeaf();
  }

  void SeekForPrev(std::string_view target) override {
    const Leaf& leaf = Descend(SearchKey(target));
    const int pos = SlotIndex(leaf, SearchKey(target), /*after_equal=*/true) - 1;
    path_.push_back({&leaf, std::max(pos, 0)});
    // Every key of this leaf is past the target (its separator was a deleted key's): the answer
    // is the previous leaf's last.
    if (pos < 0) PrevLeaf();
  }

  bool Valid() const override { return !path_.empty(); }

  void Next() override {
    if (++path_.back().index < path_.back().node->count) return;
    NextLeaf();
  }
  void Prev() override {
    if (path_.back().index > 0) {
      --path_.back().index;
      return;
    }
    PrevLeaf();
  }

  std::string_view key() const override { return Slot().entry->key(); }
  std::string_view value() const override { return Slot().entry->value(); }

 private:
  struct Level {
    const Node* node;
    int index;
  };

  const Keyed& Slot() const { return AsLeaf(*path_.back().node).slots[path_.back().index]; }

  // Fills the path with the inner nodes above the leaf that may hold `key`, and returns it.
  const Leaf& Descend(const SearchKey& key) {
    path_.clear();
    const Node* n = snapshot_->root();
    while (!n->leaf) {
      const Inner& in = AsInner(*n);
      const int i = ChildIndex(in, key);
      path_.push_back({n, i});
      n = in.children[i].get();
      PrefetchNode(n);
    }
    return AsLeaf(*n);
  }

  // From the last slot of a leaf to the first of the next (or the end).
  void NextLeaf() {
    path_.pop_back();
    while (!path_.empty() && path_.back().index + 1 == path_.back().node->count) path_.pop_back();
    if (path_.empty()) return;
    ++path_.back().index;
    for (;;) {
      const Node* child = AsInner(*path_.back().node).children[path_.back().index].get();
      path_.push_back({child, 0});
      if (child->leaf) return;
    }
  }

  // From the first slot of a leaf to the last of the previous (or the end).
  void PrevLeaf() {
    path_.pop_back();
    while (!path_.empty() && path_.back().index == 0) path_.pop_back();
    if (path_.empty()) return;
    --path_.back().index;
    for (;;) {
      const Node* child = AsInner(*path_.back().node).children[path_.back().index].get();
      path_.push_back({child, child->count - 1});
      if (child->leaf) return;
    }
  }

  std::unique_ptr<Snapshot> snapshot_;  // keeps the whole version alive
  std::vector<Level> path_;             // empty: not valid
};

class MemoryStorage final : public Storage {
 public:
  MemoryStorage() : root_(NodePtr::Adopt(new Leaf)) {}

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
    // The entries are made before anything changes.
    std::vector<Keyed> items;
    items.reserve(batch.size());
    for (const WriteBatch::Op& op : batch.ops()) {
      items.push_back(op.value ? Keyed::Make(op.key, *op.value) : Keyed{});
    }
    MutexLock write_lock(write_mutex_);
    // With a snapshot alive the pool must also hold the copies of the nodes it shares.
    const bool shared = snapshots_.load(std::memory_order_acquire) != 0;
    if (FillPool(batch.size(), shared)) {
      MutexLock root_lock(root_mutex_);
      // A snapshot made since the pool was filled would need copies it has no room for.
      if (shared || snapshots_.load(std::memory_order_acquire) == 0) {
        ApplyInPlace(batch, items);
        return;
      }
    }
    // Too big for the pool: build the next version beside this one, copying the nodes a change
    // reaches. Only writers change root_, and we are the only writer: it stays this version
    // until our swap.
    NodePtr root = RootCopy();
    const NodeSource fresh;
    for (size_t i = 0; i < items.size(); ++i) Apply(root, batch.ops()[i].key, items[i], fresh);
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
  // A put (item holds its entry) or a delete (it holds none) of `key`. Erase needs the key
  // present, and a delete of an absent key then copies no path.
  static void Apply(NodePtr& root, std::string_view key, Keyed& item, const NodeSource& source) {
    if (item.entry) {
      Insert(root, std::move(item), source);
    } else if (Find(root.get(), key) != nullptr) {
      Erase(root, SearchKey(key), source);
    }
  }

  void ApplyInPlace(const WriteBatch& batch, std::vector<Keyed>& items) REQUIRES(root_mutex_)
      REQUIRES(write_mutex_) {
    const NodeSource pool{&spare_leaves_, &spare_inners_};
    for (size_t i = 0; i < items.size(); ++i) Apply(root_, batch.ops()[i].key, items[i], pool);
  }

  // Fills the pool with the nodes a batch of `ops` changes may need in place, and says whether
  // they fit in it. A batch they do not fit builds a new version instead. Per change, at most:
  // a new leaf (a split or an emptied root) and an inner node per level above it and a new root
  // (the tree grows at most one level in a batch the pool takes). When nodes may be `shared`,
  // also a copy of each node on the path and of the neighbour a merge appends to, at most a leaf
  // and an inner node per level (a change never both splits and merges).
  bool FillPool(size_t ops, bool shared) REQUIRES(write_mutex_) {
    int depth = 0;
    {
      MutexLock root_lock(root_mutex_);
      depth = Depth(root_.get());
    }
    const size_t per_copy = shared ? 2 : 1;
    const size_t leaves = ops * per_copy;
    const size_t inners = ops * static_cast<size_t>(depth + 1) * per_copy;
    if (leaves > kPoolLeaves || inners > kPoolInners) return false;
    while (spare_leaves_.size() < leaves) spare_leaves_.push_back(NodePtr::Adopt(new Leaf));
    while (spare_inners_.size() < inners) spare_inners_.push_back(NodePtr::Adopt(new Inner));
    return true;
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
  // New nodes for writes in place (NodeSource), empty and owned by no version: at most ~380 KB,
  // enough for a batch of 64 changes to a tree of depth 4 (a 25-item BatchWriteItem to a table
  // with a GSI has 50 or 75), or of 32 while a snapshot is alive.
  static constexpr size_t kPoolLeaves = 64;
  static constexpr size_t kPoolInners = 320;
  std::vector<NodePtr> spare_leaves_ GUARDED_BY(write_mutex_);
  std::vector<NodePtr> spare_inners_ GUARDED_BY(write_mutex_);
};

}  // namespace

std::unique_ptr<Storage> OpenMemoryStorage() { return std::make_unique<MemoryStorage>(); }

}  // namespace cruddur::ddb::storage
