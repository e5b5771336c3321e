-- ARGV: hold_id, client_id, request id. Undoes a hold whose caller was answered 503 without an
-- Idempotency-Key: releases it if it was made, else leaves a tombstone so that a copy of the call
-- still on its way to Redis finds the id taken and holds nothing. Returns {outcome}.
local id, client = ARGV[1], ARGV[2]
local raw = redis.call('HGET', HOLDS, id)
local now = clock_ms()
if not raw then
  save_hold(id, {state = 'released', slot = '', qty = 0, client = client, expires = now}, now + TOMBSTONE_MS)
  return {'fenced'}
end
local hold = cjson.decode(raw)
if hold.state ~= 'held' then
  return {hold.state}
end
settle_hold(id, hold, 'released', now)
redis.call('PUBLISH', UPDATES, 'a')
return {'released'}
