-- ARGV: client_id. Returns {outcome, number|prejoin index, serving, seq, admit_per_second, paused}.
-- A status request counts as activity: it keeps an admitted client's place in max_active.
local client = ARGV[1]
if redis.call('EXISTS', CFG) == 0 then
  return {'noevent'}
end
local existing = redis.call('HGET', CLIENTS, client)
if not existing then
  return {'unknown'}
end
if string.sub(existing, 1, 1) == 'p' then
  return {'pending', tonumber(string.sub(existing, 2)), queue_state()}
end
local now = clock_ms()
local number = tonumber(existing)
if number > q_number('serving') then
  return {'waiting', number, queue_state()}
end
if not is_active(number, now) then
  return {'lapsed', number, queue_state()}
end
redis.call('ZADD', ACTIVE, 'XX', now + cfg_number('access_ttl_ms'), number)
return {'admitted', number, queue_state()}
