-- ARGV: number, client_id, slot_id, quantity, hold_id, the access token's queue generation,
-- request id.
-- Returns {outcome, expires_at_ms|detail, remaining}; for a hold id that exists already (the same
-- Idempotency-Key again) {'existing', expires_at_ms, state, slot_id, quantity}.
local number, client, slot, qty, id = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
if redis.call('EXISTS', CFG) == 0 then
  return {'noevent'}
end
local raw = redis.call('HGET', HOLDS, id)
if raw then
  local hold = cjson.decode(raw)
  if hold.client ~= client then
    return {'unknown'}
  end
  return {'existing', hold.expires, hold.state, hold.slot, hold.qty}
end
local now = clock_ms()
-- A token of the queue before a Redis loss: its number may belong to someone else now.
if tonumber(ARGV[6]) ~= q_number('gen') or not is_active(number, now) then
  return {'inactive'}
end
redis.call('ZADD', ACTIVE, 'XX', now + cfg_number('access_ttl_ms'), number)
settle_due_holds(now, 20)
local remaining = redis.call('HGET', AVAIL, slot)
if not remaining then
  return {'noslot'}
end
remaining = tonumber(remaining)
if remaining < qty then
  return {'sold_out', 0, remaining}
end
local seats = tonumber(redis.call('HGET', SEATS, client) or '0')
if seats + qty > cfg_number('max_per_client') then
  return {'limit', seats, remaining}
end
redis.call('HINCRBY', AVAIL, slot, -qty)
redis.call('HINCRBY', SEATS, client, qty)
add_live(slot, qty)
local expires = now + cfg_number('hold_ttl_ms')
save_hold(id, {state = 'held', slot = slot, qty = qty, client = client, expires = expires}, expires)
redis.call('PUBLISH', UPDATES, 'a')
return {'ok', expires, remaining - qty}
