-- TransactWriteItems of 10 new items per request (one fresh partition per request).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local c = dofile(dir .. "common.lua")

request = c.counting("TransactWriteItems", function(n)
  local pk = "txn-" .. c.key_prefix() .. "-" .. n
  local puts = {}
  for i = 1, 10 do
    puts[i] = '{"Put":{"TableName":"' .. c.table_name .. '","Item":' ..
        c.item(pk, string.format("msg-%02d", i)) .. '}}'
  end
  return '{"TransactItems":[' .. table.concat(puts, ",") .. ']}'
end)
