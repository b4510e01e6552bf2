-- GET of one messaging API path with a bearer token, for bench/api.sh.
-- Environment: BENCH_PATH (e.g. /api/message_groups), BENCH_TOKEN (from `cruddur auth token`).
-- common.lua supplies setup() and the BENCH_RESULT line of done().
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local c = dofile(dir .. "common.lua")

local path = os.getenv("BENCH_PATH") or error("BENCH_PATH is not set")
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
local formatted = nil

request = c.timed(function()
  if formatted == nil then
    formatted = wrk.format("GET", path, {
      ["Authorization"] = "Bearer " .. token,
      ["Accept"] = "application/json",
    })
  end
  return formatted
end)
