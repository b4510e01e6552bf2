-- Query of one partition holding exactly 20 items (seeded by bench/seed.py).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local c = dofile(dir .. "common.lua")

request = c.fixed("Query", '{"TableName":"' .. c.table_name ..
    '","KeyConditionExpression":"pk = :pk","ExpressionAttributeValues":{":pk":{"S":"query"}}}')
