-- ARGV: hold_id, client_id, idempotency_key, request id.
-- Returns {outcome, slot_id|booking_id, quantity|idempotency_key, queue generation when begun}. A confirm in progress under the
-- same key begins again at once: its first attempt may have died with its pod, and the PostgreSQL
-- write is idempotent per hold, so two attempts book once.
local id, client, key = ARGV[1], ARGV[2], ARGV[3]
local raw = redis.call('HGET', HOLDS, id)
local hold = raw and cjson.decode(raw)
if not hold or hold.client ~= client then
  return {'unknown'}
end
local now = clock_ms()
if hold.state == 'held' and hold.expires < now then
  settle_hold(id, hold, 'expired', now)
  redis.call('PUBLISH', UPDATES, 'a')
  return {'expired'}
end
if hold.state == 'confirmed' then
  return {'confirmed', hold.booking, hold.key}
end
if hold.state == 'confirming' and hold.key == key then
  return {'begun', hold.slot, hold.qty, q_number('gen')}
end
if hold.state ~= 'held' then
  return {hold.state}
end
hold.state = 'confirming'
hold.key = key
save_hold(id, hold, now + CONFIRM_GRACE_MS)
redis.call('SADD', CONFIRMING, id)
return {'begun', hold.slot, hold.qty, q_number('gen')}
