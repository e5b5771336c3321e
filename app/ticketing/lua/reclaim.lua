-- A client presenting a ticket of the queue lost before the last rebuild (its generation is the
-- queue's `prev_gen`) takes its old order back while the reclaim window is open (common.lua's
-- close_reclaim). Safe to repeat: a client is ordered once, by its lowest claim.
-- ARGV: client, old number, old generation. Returns a status reply, or {'unknown'}.
if redis.call('EXISTS', CFG) == 0 then
  return {'noevent'}
end
local client, old_number, old_generation = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now = clock_ms()
close_reclaim(now)
local existing = redis.call('HGET', CLIENTS, client)
if old_number < 1 or not reclaiming(now) or old_generation ~= redis.call('HGET', Q, 'prev_gen')
  or (existing and existing ~= 'p0') then
  return {'unknown'}
end
local order = redis.call('ZSCORE', RECLAIM, client)
if not order or tonumber(order) > old_number then
  redis.call('ZADD', RECLAIM, old_number, client)
  redis.call('HSET', CLIENTS, client, 'p0')
end
local serving, seq, rate, paused, generation = queue_state()
return {'pending', 0, serving, seq, rate, paused, generation}
