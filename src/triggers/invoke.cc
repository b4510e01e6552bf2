#include "triggers/invoke.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "http/client.h"

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX's name

namespace cruddur::triggers {
namespace {

// This process's environment plus the additions it does not set already.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& add) {
  std::vector<std::string> env;
  std::set<std::string> names;
  for (char** e = environ; *e != nullptr; ++e) {
    env.emplace_back(*e);
    names.insert(env.back().substr(0, env.back().find('=')));
  }
  for (const auto& [name, value] : add) {
    if (!names.contains(name)) env.push_back(name + "=" + value);
  }
  return env;
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Feeds `input` to `in_fd` and collects `out_fd` until EOF or the deadline; true when both ended.
bool Exchange(int in_fd, int out_fd, const std::string& input, std::string& output,
              std::chrono::steady_clock::time_point deadline) {
  std::size_t written = 0;
  if (input.empty()) ::close(in_fd), in_fd = -1;
  while (out_fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int n = ::poll(fds, in_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (in_fd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::send(in_fd, input.data() + written, input.size() - written, MSG_NOSIGNAL);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // it stopped reading
      if (written == input.size()) ::close(in_fd), in_fd = -1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[65536];
      ssize_t r = ::read(out_fd, buffer, sizeof buffer);
      if (r > 0) output.append(buffer, static_cast<std::size_t>(r));
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) out_fd = -1;
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  return out_fd < 0;
}

}  // namespace

CommandHandler::CommandHandler(std::string command, std::chrono::seconds timeout,
                               std::map<std::string, std::string> env)
    : command_(std::move(command)), timeout_(timeout), env_(std::move(env)) {}

Invocation CommandHandler::Invoke(const std::string& event) {
  Invocation result;
  int in[2], out[2];  // stdin is a socket so a handler that exits early cannot SIGPIPE us
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    result.error = Errno("socketpair");
    return result;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    result.error = Errno("pipe");
    ::close(in[0]), ::close(in[1]);
    return result;
  }
  std::vector<std::string> env = ChildEnvironment(env_);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c";
  char* argv[] = {sh.data(), dash_c.data(), command_.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[1]);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(in[0]), ::close(out[0]);
    result.error = std::string("cannot run /bin/sh: ") + std::strerror(spawned);
    return result;
  }
  ::fcntl(in[0], F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  bool finished = Exchange(in[0], out[0], event, result.response, deadline);
  ::close(out[0]);
  int status = 0;
  // A handler that closed its stdout may still be running: it too has until the deadline.
  while (finished && ::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      finished = false;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!finished) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  result.status_code = 200;
  if (!finished) {
    result.error = "timed out after " + std::to_string(timeout_.count()) + " s";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    result.ok = true;
  } else if (WIFEXITED(status)) {
    result.error = "exited with status " + std::to_string(WEXITSTATUS(status));
  } else {
    result.error = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return result;
}

UrlHandler::UrlHandler(const std::string& url, std::chrono::seconds timeout) {
  http::ClientOptions options;
  options.request_timeout = timeout;
  options.user_agent = "cruddur-trigger";
  client_ = std::make_unique<http::Client>(url, options);
  target_ = http::Url::Parse(url).target;
}

UrlHandler::~UrlHandler() = default;

Invocation UrlHandler::Invoke(const std::string& event) {
  Invocation result;
  http::Request request;
  request.method = "POST";
  request.target = target_;
  request.headers.Set("Content-Type", "application/json");
  request.body = event;
  try {
    http::Response response = client_->Send(request);
    result.status_code = response.status;
    result.response = std::move(response.body);
    result.ok = response.status >= 200 && response.status < 300;
    if (!result.ok) result.error = "HTTP status " + std::to_string(response.status);
  } catch (const http::TransportError& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace cruddur::triggers
