#include "cli/progress.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

namespace cruddur::cli {

void AddProgressFlag(CLI::App& cmd, bool& progress) {
  cmd.add_flag("--progress", progress,
               "Show a progress bar on stderr even when it is not a terminal");
}

Progress::Progress(std::string label, bool forced)
    : label_(std::move(label)),
      shown_(forced || isatty(STDERR_FILENO) != 0),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {
  if (!shown_) return;
  ticker_ = std::thread([this] {
    MutexLock lock(mutex_);
    while (!stop_) {
      lock.WaitUntil(wake_, std::chrono::steady_clock::now() + std::chrono::milliseconds(250));
      if (!stop_) Draw();
    }
  });
}

Progress::~Progress() {
  if (!shown_) return;
  {
    MutexLock lock(mutex_);
    stop_ = true;
    Draw();
  }
  wake_.notify_all();
  ticker_.join();
  std::fprintf(stderr, "\n");
}

void Progress::Update(long done, long total) {
  if (!shown_) return;
  MutexLock lock(mutex_);
  done_ = done;
  total_ = total;
  // At most ten redraws a second: an import updates after every item.
  if (!drawn_ || std::chrono::steady_clock::now() - drawn_at_ > std::chrono::milliseconds(100)) {
    Draw();
  }
}

void Progress::Status(std::string status) {
  if (!shown_) return;
  MutexLock lock(mutex_);
  status_ = std::move(status);
  Draw();
}

void Progress::Draw() {
  constexpr long kWidth = 30;
  long seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_)
          .count();
  std::string line = label_;
  if (total_ > 0) {
    long shown = std::min(done_, total_);  // an export's total is DescribeTable's estimate
    long filled = kWidth * shown / total_;
    line += " [" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
            std::to_string(100 * shown / total_) + "% " + std::to_string(done_) + "/" +
            std::to_string(total_) + " items";
  } else if (done_ > 0) {
    line += ": " + std::to_string(done_) + " items";
  } else if (!status_.empty()) {
    line += ": " + status_;
  }
  line += " " + std::to_string(seconds) + "s";
  std::fprintf(stderr, "\r%s%s", line.c_str(), tty_ ? "\033[K" : "");
  std::fflush(stderr);
  drawn_ = true;
  drawn_at_ = std::chrono::steady_clock::now();
}

}  // namespace cruddur::cli
