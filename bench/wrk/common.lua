-- Shared by the bench/wrk/*.lua workloads: DynamoDB JSON 1.0 requests with a well-formed (not
-- verified) SigV4 Authorization header, a per-thread id for unique keys, and a done() hook that
-- prints one machine-readable result line for bench/report.py.
--
-- Environment:
--   BENCH_STATIC=1  request /<Operation> instead of / (nginx serves our captured bodies there)
--   BENCH_RUN       a tag that keeps written keys unique across runs (default: the time)
--   BENCH_CONNS=1   the run has one connection: time every request here (below)
--
-- At one connection, p50_us and p99_us are timed here, per request, from where wrk starts its own
-- clock (the request made) to the response (CLOCK_MONOTONIC through LuaJIT's ffi), and wrk's own
-- figures are printed beside them as wrk_p50_us and wrk_p99_us. wrk 4.1's latency histogram puts
-- far more samples in the tail than the requests have: in one run its p99.9 read 1.92 ms where
-- these timings (and a separate C client against the same server) had 36 requests of 132,000 over
-- 1 ms, and it read about 1.8 ms against the bare server too, so a 1-connection p99 from wrk jumped
-- to ~2 ms whenever that tail passed 1% (bench/latency_findings.md). With more connections a
-- thread's requests overlap and cannot be matched to their responses here: those runs keep wrk's
-- figures.

local M = {}

M.table_name = os.getenv("BENCH_TABLE") or "bench"
M.run = os.getenv("BENCH_RUN") or tostring(os.time())
M.static = os.getenv("BENCH_STATIC") == "1"

-- setup() runs in the main Lua state once per wrk thread: hand each thread its own id.
local threads = 0
local thread_list = {}
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
  thread_list[threads] = thread
end

-- Per-request timing at one connection: request() notes the time, response() adds the elapsed
-- µs to a histogram (a global, so that done() can read it from the thread with thread:get).
local timing = os.getenv("BENCH_CONNS") == "1"
local now_us = nil
local sent_at = nil
if timing then
  local ffi = require("ffi")
  ffi.cdef [[
    struct bench_timespec { long tv_sec; long tv_nsec; };
    int clock_gettime(int clock, struct bench_timespec *out);
  ]]
  local ts = ffi.new("struct bench_timespec")
  now_us = function()
    ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
  end
  bench_latency = {}      -- µs -> requests
  -- Requests made while another was out: one connection makes a few (wrk makes its first request
  -- again when the socket was not writable yet), several connections make most of them.
  bench_overlapped = 0
  response = function()
    if sent_at ~= nil then
      local us = math.floor(now_us() - sent_at)
      bench_latency[us] = (bench_latency[us] or 0) + 1
      sent_at = nil
    end
  end
end

-- Wraps a request generator so that each request's making is timed (see above).
function M.timed(make)
  if not timing then return make end
  return function()
    if sent_at ~= nil then bench_overlapped = bench_overlapped + 1 end
    local made = make()
    sent_at = now_us()  -- after making it, where wrk starts its own clock
    return made
  end
end

-- The p50 and p99 of the threads' timings in µs, or nil when nothing was timed.
local function timed_percentiles()
  if not timing then return nil end
  local counts, total, overlapped = {}, 0, 0
  for _, thread in ipairs(thread_list) do
    overlapped = overlapped + (thread:get("bench_overlapped") or 0)
    for us, n in pairs(thread:get("bench_latency") or {}) do
      counts[us] = (counts[us] or 0) + n
      total = total + n
    end
  end
  if total == 0 or overlapped > total / 100 then return nil end
  local keys = {}
  for us in pairs(counts) do keys[#keys + 1] = us end
  table.sort(keys)
  local function percentile(p)
    local rank, seen = math.ceil(total * p / 100), 0
    for _, us in ipairs(keys) do
      seen = seen + counts[us]
      if seen >= rank then return us end
    end
    return keys[#keys]
  end
  return percentile(50), percentile(99)
end

function M.headers(op)
  return {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810." .. op,
    ["X-Amz-Date"] = "20240101T000000Z",
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, " ..
        "SignedHeaders=host;x-amz-date, Signature=00",
  }
end

function M.path(op)
  if M.static then return "/" .. op end
  return "/"
end

-- A message-shaped item of about 170 bytes of JSON.
function M.item(pk, sk)
  return '{"pk":{"S":"' .. pk .. '"},"sk":{"S":"' .. sk .. '"},' ..
      '"message":{"S":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod"},' ..
      '"user_handle":{"S":"andrewbrown"},"created_at":{"S":"2024-01-01T00:00:00.000000+00:00"}}'
end

-- A request that never changes: format it once per thread.
function M.fixed(op, body)
  local formatted = nil
  return M.timed(function()
    if formatted == nil then formatted = wrk.format("POST", M.path(op), M.headers(op), body) end
    return formatted
  end)
end

-- A request with a fresh body each time (unique keys): body_fn(n) gets a per-thread counter.
function M.counting(op, body_fn)
  local n = 0
  local headers = nil
  return M.timed(function()
    if headers == nil then headers = M.headers(op) end
    n = n + 1
    return wrk.format("POST", M.path(op), headers, body_fn(n))
  end)
end

function M.key_prefix()
  return M.run .. "-" .. tostring(tid or 0)
end

function done(summary, latency, requests)
  local e = summary.errors
  local wrk_p50, wrk_p99 = latency:percentile(50), latency:percentile(99)
  local p50, p99 = timed_percentiles()
  io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f " ..
      "status_errors=%d socket_errors=%d wrk_p50_us=%d wrk_p99_us=%d latency_timed=%d\n",
      summary.requests, summary.duration, p50 or wrk_p50, p99 or wrk_p99, latency.mean,
      e.status, e.connect + e.read + e.write + e.timeout, wrk_p50, wrk_p99, p50 and 1 or 0))
end

return M
