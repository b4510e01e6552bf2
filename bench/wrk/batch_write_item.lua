-- BatchWriteItem of 25 new items per request (one fresh partition per request).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local c = dofile(dir .. "common.lua")

request = c.counting("BatchWriteItem", function(n)
  local pk = "batch-" .. c.key_prefix() .. "-" .. n
  local puts = {}
  for i = 1, 25 do
    puts[i] = '{"PutRequest":{"Item":' .. c.item(pk, string.format("msg-%02d", i)) .. '}}'
  end
  return '{"RequestItems":{"' .. c.table_name .. '":[' .. table.concat(puts, ",") .. ']}}'
end)
