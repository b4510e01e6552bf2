-- GetItem of one existing item (seeded by bench/seed.py).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local c = dofile(dir .. "common.lua")

request = c.fixed("GetItem", '{"TableName":"' .. c.table_name ..
    '","Key":{"pk":{"S":"get"},"sk":{"S":"item"}}}')
