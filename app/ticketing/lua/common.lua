-- Shared prelude of every event script. Every script receives the same KEYS (see keys.py).
local CFG, Q, CLIENTS, PREJOIN, ACTIVE, AVAIL, SEATS, HOLDS, TIMERS, UPDATES =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local DONE, DONE_TIMERS, LIVE, CONFIRMING, RECLAIM = KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]
-- Settled holds stay readable this long, so a late confirm gets "expired" rather than "unknown".
local TOMBSTONE_MS = 3600000
-- A confirm that has not finished this long after it began is resolved from PostgreSQL.
local CONFIRM_GRACE_MS = 30000
-- How long a recorded reply answers a copy of its call: far longer than a resent batch takes to
-- arrive (two socket timeouts), short enough that a burst of holds costs little memory.
local DONE_MS = 120000

-- One clock for every replica: Redis's.
local function clock_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function cfg_number(field)
  return tonumber(redis.call('HGET', CFG, field) or '0')
end

local function q_number(field)
  return tonumber(redis.call('HGET', Q, field) or '0')
end

local function is_active(number, now)
  local expiry = redis.call('ZSCORE', ACTIVE, number)
  return expiry ~= false and tonumber(expiry) >= now
end

-- At opening, numbers 1..n are reserved for the n clients who joined before it (their order is
-- assigned from the seeded permutation afterwards); later joins take n+1, n+2, ...
local function freeze_if_opened(now)
  local opens_at = cfg_number('opens_at_ms')
  if opens_at == 0 or now < opens_at or redis.call('HGET', Q, 'frozen') == '1' then
    return
  end
  local prejoined = redis.call('LLEN', PREJOIN)
  redis.call('HSET', Q, 'frozen', '1', 'prejoined', prejoined)
  redis.call('HINCRBY', Q, 'seq', prejoined)
  if prejoined == 0 then
    redis.call('HSET', Q, 'assigned', '1')
  end
end

-- After a rebuild of a lost queue (install_event), its clients may take their order back until
-- `reclaim_until_ms`: clients presenting a ticket of the lost queue (reclaim.lua) are ordered by
-- their old number, and every client joining meanwhile comes after them in join order. All wait
-- unnumbered ('p0') until the window closes; then they take the next numbers in that order.
local RECLAIM_JOINED = 1e12 -- above any old number: the order of those who join in the window

local function reclaiming(now)
  local until_ms = q_number('reclaim_until_ms')
  return until_ms > 0 and now < until_ms
end

local function close_reclaim(now)
  local until_ms = q_number('reclaim_until_ms')
  if until_ms == 0 or now < until_ms then
    return
  end
  local seq = q_number('seq')
  for _, client in ipairs(redis.call('ZRANGE', RECLAIM, 0, -1)) do
    seq = seq + 1
    redis.call('HSET', CLIENTS, client, seq)
  end
  redis.call('HSET', Q, 'seq', seq, 'reclaim_until_ms', 0)
  redis.call('DEL', RECLAIM)
end

local function join_reclaim_window(client)
  local order = RECLAIM_JOINED + redis.call('HINCRBY', Q, 'reclaim_joins', 1)
  redis.call('ZADD', RECLAIM, 'NX', string.format('%d', order), client)
  redis.call('HSET', CLIENTS, client, 'p0')
end

-- Scripts that change state run once per request id, their last ARGV (scripts.py appends it): a
-- copy of the same call, e.g. a batch resent after a dropped connection while Redis still ran the
-- first, gets the recorded reply instead of acting twice.
local function once(body)
  local request = ARGV[#ARGV]
  local recorded = redis.call('HGET', DONE, request)
  if recorded then
    return cjson.decode(recorded)
  end
  local reply = body()
  redis.call('HSET', DONE, request, cjson.encode(reply))
  redis.call('ZADD', DONE_TIMERS, clock_ms() + DONE_MS, request)
  return reply
end

local function forget_done(now, limit)
  for _, request in ipairs(redis.call('ZRANGEBYSCORE', DONE_TIMERS, '-inf', now, 'LIMIT', 0, limit)) do
    redis.call('HDEL', DONE, request)
    redis.call('ZREM', DONE_TIMERS, request)
  end
end

-- LIVE counts the seats of live holds per slot: availability is PostgreSQL's remaining minus it.
local function add_live(slot, qty)
  if redis.call('HINCRBY', LIVE, slot, qty) <= 0 then
    redis.call('HDEL', LIVE, slot)
  end
end

local function return_seats(hold)
  if redis.call('HEXISTS', AVAIL, hold.slot) == 1 then
    redis.call('HINCRBY', AVAIL, hold.slot, hold.qty)
  end
  add_live(hold.slot, -hold.qty)
  if redis.call('HINCRBY', SEATS, hold.client, -hold.qty) <= 0 then
    redis.call('HDEL', SEATS, hold.client)
  end
end

local function save_hold(id, hold, timer_ms)
  redis.call('HSET', HOLDS, id, cjson.encode(hold))
  redis.call('ZADD', TIMERS, timer_ms, id)
end

local function settle_hold(id, hold, state, now)
  return_seats(hold)
  redis.call('SREM', CONFIRMING, id)
  hold.state = state
  save_hold(id, hold, now + TOMBSTONE_MS)
end

-- Expires due holds and drops old tombstones; returns the ids of confirms that are overdue.
local function settle_due_holds(now, limit)
  local overdue = {}
  local freed = false
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', TIMERS, '-inf', now, 'LIMIT', 0, limit)) do
    local raw = redis.call('HGET', HOLDS, id)
    local hold = raw and cjson.decode(raw)
    if hold and hold.state == 'held' then
      settle_hold(id, hold, 'expired', now)
      freed = true
    elseif hold and hold.state == 'confirming' then
      table.insert(overdue, id)
    else
      redis.call('HDEL', HOLDS, id)
      redis.call('ZREM', TIMERS, id)
    end
  end
  if freed then
    redis.call('PUBLISH', UPDATES, 'a')
  end
  return overdue
end

local function queue_state()
  return q_number('serving'), q_number('seq'), redis.call('HGET', CFG, 'admit_per_second'),
    redis.call('HGET', Q, 'paused') or '0', q_number('gen')
end

-- Per-client scripts (join, status): ARGV holds one client id for each request merged into this
-- run (batching.py), and the reply one {outcome, number, serving, seq, admit_per_second, paused,
-- generation} per client, in ARGV's order; `answer(client, now)` gives each its {outcome, number} or
-- {'unknown'}, after `prepare(now)` when given. The queue state is read once, after every answer.
local function per_client(answer, prepare)
  local replies = {}
  if redis.call('EXISTS', CFG) == 0 then
    for index = 1, #ARGV do
      replies[index] = {'noevent'}
    end
    return replies
  end
  local now = clock_ms()
  if prepare then
    prepare(now)
  end
  for index, client in ipairs(ARGV) do
    replies[index] = answer(client, now)
  end
  local serving, seq, rate, paused, generation = queue_state()
  for _, reply in ipairs(replies) do
    if reply[2] ~= nil then
      reply[3], reply[4], reply[5], reply[6], reply[7] = serving, seq, rate, paused, generation
    end
  end
  return replies
end
