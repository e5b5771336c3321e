-- ARGV: PostgreSQL's remaining per slot (JSON object), the confirming hold ids that
-- reconcile_begin listed, and those of them PostgreSQL has booked (JSON lists), all read in one
-- snapshot. Sets each slot's availability to remaining minus the seats of live holds, not counting
-- holds whose booking is already in that remaining. Returns {'fixed'|'ok'|'busy', slots changed}.
if redis.call('EXISTS', CFG) == 0 then
  return {'busy', 0}
end
local listed, booked = {}, {}
for _, id in ipairs(cjson.decode(ARGV[2])) do
  listed[id] = true
end
for _, id in ipairs(cjson.decode(ARGV[3])) do
  booked[id] = true
end
local counted_twice = {}
for _, id in ipairs(redis.call('SMEMBERS', CONFIRMING)) do
  if not listed[id] then
    return {'busy', 0}  -- began after the snapshot's list: it may be booked in it; next round
  end
  local raw = redis.call('HGET', HOLDS, id)
  if booked[id] and raw then
    local hold = cjson.decode(raw)
    counted_twice[hold.slot] = (counted_twice[hold.slot] or 0) + hold.qty
  end
end
local changed = 0
for slot, remaining in pairs(cjson.decode(ARGV[1])) do
  local current = redis.call('HGET', AVAIL, slot)
  if current then
    local live = tonumber(redis.call('HGET', LIVE, slot) or '0')
    local target = remaining - live + (counted_twice[slot] or 0)
    if tonumber(current) ~= target then
      redis.call('HSET', AVAIL, slot, target)
      changed = changed + 1
    end
  end
end
if changed > 0 then
  redis.call('PUBLISH', UPDATES, 'a')
end
return {changed > 0 and 'fixed' or 'ok', changed}
