// A recursive parser's share of the thread's stack. The nesting bounds (kMaxNesting) say how deep
// an input may nest; this says how deep this thread can afford, whatever a frame costs in this
// build (sanitizers make frames many times bigger) and however small the thread's stack is.
#pragma once

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

}  // namespace cruddur::ddb::expr
