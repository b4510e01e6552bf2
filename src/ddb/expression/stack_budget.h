// A recursive parser's share of the thread's stack. The nesting bounds (kMaxNesting) say how deep
// an input may nest; this says how deep this thread can afford, whatever a frame costs in this
// build (sanitizers make frames many times bigger) and however small the thread's stack is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cruddur::ddb::expr {

class StackBudget {
 public:
  // Allows the recursion that follows half of the stack left below the caller, keeping the
  // other half for walking what it builds (evaluation and destruction, whose frames are
  // smaller) and for unwinding.
  StackBudget();
  // True when the calling frame is past the budget.
  bool Exhausted() const {
    return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) < floor_;
  }

 private:
  uintptr_t floor_ = 0;  // lowest frame address allowed (stacks grow down); 0 when unknown
};

// One nested level (or `levels`) of a recursive parse, counted in `depth` for its scope. Past
// `max` levels, or past `budget`, it calls `too_deep`, which throws.
class NestingDepth {
 public:
  template <class TooDeep>
  NestingDepth(size_t& depth, size_t levels, size_t max, const StackBudget& budget,
               TooDeep&& too_deep)
      : depth_(depth), levels_(levels) {
    depth_ += levels;
    if (depth_ > max || budget.Exhausted()) too_deep();
  }
  ~NestingDepth() { depth_ -= levels_; }
  NestingDepth(const NestingDepth&) = delete;
  NestingDepth& operator=(const NestingDepth&) = delete;

 private:
  size_t& depth_;
  size_t levels_;
};

}  // namespace cruddur::ddb::expr
