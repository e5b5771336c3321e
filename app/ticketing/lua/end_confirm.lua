-- ARGV: hold_id, booking_id ('' when the booking was not written), mode when not written:
-- 'retry' puts the hold back, 'release' returns its seats; request id. Returns {outcome}.
local id, booking, mode = ARGV[1], ARGV[2], ARGV[3]
local raw = redis.call('HGET', HOLDS, id)
local hold = raw and cjson.decode(raw)
if not hold or hold.state ~= 'confirming' then
  return {'unknown'}
end
local now = clock_ms()
if booking ~= '' then
  hold.state = 'confirmed'
  hold.booking = booking
  add_live(hold.slot, -hold.qty)  -- the seats are PostgreSQL's bookings now
  redis.call('SREM', CONFIRMING, id)
  save_hold(id, hold, now + TOMBSTONE_MS)
  return {'confirmed'}
end
if mode == 'retry' then
  hold.state = 'held'
  redis.call('SREM', CONFIRMING, id)
  save_hold(id, hold, hold.expires)
  return {'held'}
end
settle_hold(id, hold, 'released', now)
redis.call('PUBLISH', UPDATES, 'a')
return {'released'}
