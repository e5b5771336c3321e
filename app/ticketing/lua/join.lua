-- ARGV: client_id. Returns {outcome, number|prejoin index, serving, seq, admit_per_second, paused}.
local client = ARGV[1]
if redis.call('EXISTS', CFG) == 0 then
  return {'noevent'}
end
local now = clock_ms()
freeze_if_opened(now)
local existing = redis.call('HGET', CLIENTS, client)
if existing and string.sub(existing, 1, 1) == 'p' then
  return {'pending', tonumber(string.sub(existing, 2)), queue_state()}
end
if existing then
  local number = tonumber(existing)
  if number > q_number('serving') or is_active(number, now) then
    return {'existing', number, queue_state()}
  end
  -- An admission that lapsed (no request within the access TTL) goes to the back of the queue.
end
local opens_at = cfg_number('opens_at_ms')
if opens_at > 0 and now < opens_at then
  local index = redis.call('RPUSH', PREJOIN, client)
  redis.call('HSET', CLIENTS, client, 'p' .. index)
  return {'pending_new', index, queue_state()}
end
local number = redis.call('HINCRBY', Q, 'seq', 1)
redis.call('HSET', CLIENTS, client, number)
return {'new', number, queue_state()}
