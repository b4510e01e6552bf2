// Clang's thread-safety attributes (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html), and a
// mutex, a shared mutex and scoped locks that carry them: a member declared GUARDED_BY(mu_) is
// then only touched with mu_ held, checked by clang's -Wthread-safety (scripts/check-tidy.sh).
// Under GCC the attributes expand to nothing and the types are thin wrappers of the std ones.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define CRUDDUR_THREAD_ATTRIBUTE(x) __attribute__((x))
#else
#define CRUDDUR_THREAD_ATTRIBUTE(x)
#endif

#define CAPABILITY(x) CRUDDUR_THREAD_ATTRIBUTE(capability(x))
#define SCOPED_CAPABILITY CRUDDUR_THREAD_ATTRIBUTE(scoped_lockable)
#define GUARDED_BY(x) CRUDDUR_THREAD_ATTRIBUTE(guarded_by(x))
#define PT_GUARDED_BY(x) CRUDDUR_THREAD_ATTRIBUTE(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) CRUDDUR_THREAD_ATTRIBUTE(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) CRUDDUR_THREAD_ATTRIBUTE(acquired_after(__VA_ARGS__))
#define REQUIRES(...) CRUDDUR_THREAD_ATTRIBUTE(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) CRUDDUR_THREAD_ATTRIBUTE(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) CRUDDUR_THREAD_ATTRIBUTE(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) CRUDDUR_THREAD_ATTRIBUTE(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) CRUDDUR_THREAD_ATTRIBUTE(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) CRUDDUR_THREAD_ATTRIBUTE(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) CRUDDUR_THREAD_ATTRIBUTE(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) CRUDDUR_THREAD_ATTRIBUTE(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) CRUDDUR_THREAD_ATTRIBUTE(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) CRUDDUR_THREAD_ATTRIBUTE(assert_capability(x))
#define RETURN_CAPABILITY(x) CRUDDUR_THREAD_ATTRIBUTE(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS CRUDDUR_THREAD_ATTRIBUTE(no_thread_safety_analysis)

namespace cruddur {

// std::mutex, as a capability. lock()/unlock() keep it usable by std::scoped_lock and
// std::condition_variable_any, which the analysis does not see into.
class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// std::shared_mutex, as a capability held exclusively (WriterLock) or shared (ReaderLock).
class CAPABILITY("mutex") SharedMutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void LockShared() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds a Mutex for its scope. Unlock()/Lock() let a scope step out of the lock and back in.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_.Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }

  // Waits on `cv` until notified or `deadline` (the lock is let go meanwhile and held again on
  // return); false once the deadline has passed. The caller loops on its own condition, which
  // the analysis then sees read under the lock.
  template <class Clock, class Duration>
  bool WaitUntil(std::condition_variable_any& cv,
                 std::chrono::time_point<Clock, Duration> deadline) {
    return cv.wait_until(mu_, deadline) == std::cv_status::no_timeout;
  }
  void Wait(std::condition_variable_any& cv) { cv.wait(mu_); }

 private:
  Mutex& mu_;
  bool held_ = true;
};

// Holds a SharedMutex exclusively for its scope.
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WriterLock() RELEASE() { mu_.Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Holds a SharedMutex shared for its scope.
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.LockShared(); }
  ~ReaderLock() RELEASE() { mu_.UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace cruddur
