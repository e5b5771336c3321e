-- One admission step, safe to run from any number of replicas: admissions are computed from the
-- time elapsed since the last step (Redis clock), so the rate holds whoever runs it.
-- Returns {outcome, serving, seq, admitted_now, active}.
if redis.call('EXISTS', CFG) == 0 then
  return {'noevent', 0, 0, 0, 0}
end
local now = clock_ms()
local last = q_number('last_ms')
redis.call('HSET', Q, 'last_ms', now)
freeze_if_opened(now)
close_reclaim(now)
redis.call('ZREMRANGEBYSCORE', ACTIVE, '-inf', now - 1)
local serving, seq = q_number('serving'), q_number('seq')
local active = redis.call('ZCARD', ACTIVE)
if redis.call('HGET', Q, 'paused') == '1' then
  return {'paused', serving, seq, 0, active}
end
if cfg_number('opens_at_ms') > 0 and redis.call('HGET', Q, 'assigned') ~= '1' then
  local outcome = redis.call('HGET', Q, 'frozen') == '1' and 'opening' or 'before_open'
  return {outcome, serving, seq, 0, active}
end
local rate = cfg_number('admit_per_second')
local elapsed = last > 0 and math.max(0, now - last) or 0
-- Unused admissions carry over for at most one second, so a quiet spell does not become a burst.
local budget = math.min(rate, q_number('budget') + elapsed * rate / 1000)
local count = math.floor(math.min(budget, cfg_number('max_active') - active, seq - serving))
if count > 0 then
  local expiry = now + cfg_number('access_ttl_ms')
  local batch = {}
  for number = serving + 1, serving + count do
    table.insert(batch, expiry)
    table.insert(batch, number)
    if #batch >= 1000 then
      redis.call('ZADD', ACTIVE, unpack(batch))
      batch = {}
    end
  end
  if #batch > 0 then
    redis.call('ZADD', ACTIVE, unpack(batch))
  end
  serving = serving + count
  budget = budget - count
  redis.call('HSET', Q, 'serving', serving)
  redis.call('PUBLISH', UPDATES, 'q ' .. serving .. ' ' .. seq)
end
redis.call('HSET', Q, 'budget', tostring(math.max(budget, 0)))
return {'ok', serving, seq, math.max(count, 0), active + math.max(count, 0)}
