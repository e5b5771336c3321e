-- Loads an event from its durable record (PostgreSQL) when Redis does not have it, e.g. after a
-- Redis loss: holds are gone, so availability is capacity minus confirmed bookings.
-- ARGV: cfg, avail, seats, queue (JSON objects). Returns 1 when installed, 0 when already there.
if redis.call('EXISTS', CFG) == 1 then
  return 0
end
redis.call('DEL', Q, CLIENTS, PREJOIN, ACTIVE, AVAIL, SEATS, HOLDS, TIMERS, LIVE, CONFIRMING, RECLAIM)
for index, key in ipairs({CFG, AVAIL, SEATS, Q}) do
  local fields = {}
  for field, value in pairs(cjson.decode(ARGV[index])) do
    table.insert(fields, field)
    table.insert(fields, tostring(value))
  end
  if #fields > 0 then
    redis.call('HSET', key, unpack(fields))
  end
end
local reclaim_ms = q_number('reclaim_ms')
if reclaim_ms > 0 then
  redis.call('HSET', Q, 'reclaim_until_ms', clock_ms() + reclaim_ms)
end
redis.call('PUBLISH', UPDATES, 'a')
return 1
