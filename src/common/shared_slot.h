// SharedSlot<T>: a std::shared_ptr that threads load and replace concurrently.
//
// What std::atomic<std::shared_ptr<T>> promises, without libstdc++ 12's implementation of it:
// its load() releases the lock bit with a relaxed store, so the load's read of the pointer is
// not ordered before the next store's write of it. ThreadSanitizer reports the race, and a weakly
// ordered CPU (ARM) may let a load read the new pointer after taking a reference on the old one.
// Here the lock is released with a release store, which orders everything done under it.
//
// The lock is held for one pointer copy (a reference count increment) or swap, so waiting for
// it spins; a replaced value is released after the lock is let go.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <utility>

#include "common/thread_annotations.h"

namespace cruddur {

template <typename T>
class SharedSlot {
 public:
  explicit SharedSlot(std::shared_ptr<T> value = nullptr) : value_(std::move(value)) {}
  SharedSlot(const SharedSlot&) = delete;
  SharedSlot& operator=(const SharedSlot&) = delete;

  std::shared_ptr<T> load() const {
    lock_.Lock();
    std::shared_ptr<T> copy = value_;
    lock_.Unlock();
    return copy;
  }

  void store(std::shared_ptr<T> value) {
    lock_.Lock();
    value_.swap(value);
    lock_.Unlock();
  }  // `value`, now the old one, is released here

 private:
  class CAPABILITY("mutex") SpinLock {
   public:
    void Lock() ACQUIRE() {
      for (int spins = 0; locked_.exchange(true, std::memory_order_acquire);) {
        while (locked_.load(std::memory_order_relaxed)) {
          if (++spins % 64 == 0) std::this_thread::yield();  // the holder was preempted
        }
      }
    }
    void Unlock() RELEASE() { locked_.store(false, std::memory_order_release); }

   private:
    std::atomic<bool> locked_{false};
  };

  mutable SpinLock lock_;
  std::shared_ptr<T> value_ GUARDED_BY(lock_);
};

}  // namespace cruddur
