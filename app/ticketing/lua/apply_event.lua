-- Applies an admin update to a loaded event. ARGV: cfg (JSON object), capacity changes (JSON
-- object slot_id -> seats added, may be negative), removed slot ids (JSON list), request id.
-- Returns 0 when the event is not loaded (the caller installs it instead).
if redis.call('EXISTS', CFG) == 0 then
  return 0
end
local fields = {}
for field, value in pairs(cjson.decode(ARGV[1])) do
  table.insert(fields, field)
  table.insert(fields, tostring(value))
end
redis.call('HSET', CFG, unpack(fields))
for slot, added in pairs(cjson.decode(ARGV[2])) do
  redis.call('HINCRBY', AVAIL, slot, added)
end
for _, slot in ipairs(cjson.decode(ARGV[3])) do
  redis.call('HDEL', AVAIL, slot)
end
redis.call('PUBLISH', UPDATES, 'a')
return 1
