-- PutItem of a new ~170-byte item per request (unique partition key per request).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local c = dofile(dir .. "common.lua")

request = c.counting("PutItem", function(n)
  local pk = "put-" .. c.key_prefix() .. "-" .. n
  return '{"TableName":"' .. c.table_name .. '","Item":' .. c.item(pk, "msg") .. '}'
end)
