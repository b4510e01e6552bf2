-- Shared by the bench/wrk/*.lua workloads: DynamoDB JSON 1.0 requests with a well-formed (not
-- verified) SigV4 Authorization header, a per-thread id for unique keys, and a done() hook that
-- prints one machine-readable result line for bench/report.py.
--
-- Environment:
--   BENCH_STATIC=1  request /<Operation> instead of / (nginx serves our captured bodies there)
--   BENCH_RUN       a tag that keeps written keys unique across runs (default: the time)

local M = {}

M.table_name = os.getenv("BENCH_TABLE") or "bench"
M.run = os.getenv("BENCH_RUN") or tostring(os.time())
M.static = os.getenv("BENCH_STATIC") == "1"

-- setup() runs in the main Lua state once per wrk thread: hand each thread its own id.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
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
  return function()
    if formatted == nil then formatted = wrk.format("POST", M.path(op), M.headers(op), body) end
    return formatted
  end
end

-- A request with a fresh body each time (unique keys): body_fn(n) gets a per-thread counter.
function M.counting(op, body_fn)
  local n = 0
  local headers = nil
  return function()
    if headers == nil then headers = M.headers(op) end
    n = n + 1
    return wrk.format("POST", M.path(op), headers, body_fn(n))
  end
end

function M.key_prefix()
  return M.run .. "-" .. tostring(tid or 0)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f " ..
      "status_errors=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.mean, e.status, e.connect + e.read + e.write + e.timeout))
end

return M
