// A one-line progress bar on stderr for the `ddb` commands' long work (export, import, backup
// create and restore): "LABEL [#####.....] 45% 450/1000 items 3s", or, when the total is not
// known, "LABEL: 450 items 3s" / "LABEL: CREATING 3s". Shown only when stderr is a terminal or
// the command was given --progress; stdout (and so --json output) is never touched.
#pragma once

#include <chrono>
#include <condition_variable>
#include <string>
#include <thread>

#include "common/thread_annotations.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's own namespace
class App;
}

namespace cruddur::cli {

// Adds --progress (show the bar even when stderr is not a terminal) to `cmd`.
void AddProgressFlag(CLI::App& cmd, bool& progress);

class Progress {
 public:
  // `forced`: --progress. While shown, a thread redraws the line every 250 ms, so the elapsed
  // time moves during one long call (CreateBackup, a restore).
  Progress(std::string label, bool forced);
  ~Progress();  // ends the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool shown() const { return shown_; }
  // `total` <= 0: not known (a count instead of a bar).
  void Update(long done, long total) EXCLUDES(mutex_);
  // A word for work that has no count ("CREATING").
  void Status(std::string status) EXCLUDES(mutex_);

 private:
  void Draw() REQUIRES(mutex_);

  const std::string label_;
  const bool shown_;
  const bool tty_;
  const std::chrono::steady_clock::time_point start_;
  Mutex mutex_;
  std::condition_variable_any wake_;
  bool stop_ GUARDED_BY(mutex_) = false;
  long done_ GUARDED_BY(mutex_) = 0;
  long total_ GUARDED_BY(mutex_) = 0;
  std::string status_ GUARDED_BY(mutex_);
  std::chrono::steady_clock::time_point drawn_at_ GUARDED_BY(mutex_);
  bool drawn_ GUARDED_BY(mutex_) = false;
  std::thread ticker_;
};

}  // namespace cruddur::cli
