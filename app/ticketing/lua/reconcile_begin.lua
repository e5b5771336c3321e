-- ARGV: interval_ms. Starts a reconciliation of availability with PostgreSQL unless one began
-- within the interval (any replica): returns {'due', ids of holds being confirmed}, or {'skip'}.
if redis.call('EXISTS', CFG) == 0 then
  return {'skip'}
end
local now = clock_ms()
if now - q_number('reconciled_ms') < tonumber(ARGV[1]) then
  return {'skip'}
end
redis.call('HSET', Q, 'reconciled_ms', now)
return {'due', redis.call('SMEMBERS', CONFIRMING)}
