-- ARGV: hold_id, client_id, request id. Returns {outcome}.
local id, client = ARGV[1], ARGV[2]
local raw = redis.call('HGET', HOLDS, id)
local hold = raw and cjson.decode(raw)
if not hold or hold.client ~= client then
  return {'unknown'}
end
if hold.state ~= 'held' then
  return {hold.state}
end
settle_hold(id, hold, 'released', clock_ms())
redis.call('PUBLISH', UPDATES, 'a')
return {'released'}
