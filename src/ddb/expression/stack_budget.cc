#include "ddb/expression/stack_budget.h"

#include <pthread.h>

namespace cruddur::ddb::expr {
namespace {

// The lowest address of the calling thread's stack, looked up once per thread; 0 when unknown.
uintptr_t StackBottom() {
  thread_local uintptr_t bottom = [] {
    uintptr_t low = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        // The guard page(s) sit inside [addr, addr + guard) on glibc: stay above them.
        size_t guard = 0;
        pthread_attr_getguardsize(&attr, &guard);
        low = reinterpret_cast<uintptr_t>(addr) + guard;
      }
      pthread_attr_destroy(&attr);
    }
    return low;
  }();
  return bottom;
}

}  // namespace

StackBudget::StackBudget() {
  uintptr_t bottom = StackBottom();
  uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (bottom != 0 && here > bottom) floor_ = here - (here - bottom) / 2;
}

}  // namespace cruddur::ddb::expr
