-- Per-client (common.lua's per_client): the same client keeps its number; a new one takes the next.
return per_client(function(client, now)
  local existing = redis.call('HGET', CLIENTS, client)
  if existing and string.sub(existing, 1, 1) == 'p' then
    return {'pending', tonumber(string.sub(existing, 2))}
  end
  if existing then
    local number = tonumber(existing)
    if number > q_number('serving') or is_active(number, now) then
      return {'existing', number}
    end
    -- An admission that lapsed (no request within the access TTL) goes to the back of the queue.
  end
  local opens_at = cfg_number('opens_at_ms')
  if opens_at > 0 and now < opens_at then
    local index = redis.call('RPUSH', PREJOIN, client)
    redis.call('HSET', CLIENTS, client, 'p' .. index)
    return {'pending_new', index}
  end
  if reclaiming(now) then
    join_reclaim_window(client)
    return {'pending_new', 0}
  end
  local number = redis.call('HINCRBY', Q, 'seq', 1)
  redis.call('HSET', CLIENTS, client, number)
  return {'new', number}
end, function(now)
  freeze_if_opened(now)
  close_reclaim(now)
end)
