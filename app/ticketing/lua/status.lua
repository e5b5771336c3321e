-- Per-client (common.lua's per_client): a client's place. A status request counts as activity: it
-- keeps an admitted client's place in max_active.
return per_client(function(client, now)
  local existing = redis.call('HGET', CLIENTS, client)
  if not existing then
    return {'unknown'}
  end
  if string.sub(existing, 1, 1) == 'p' then
    return {'pending', tonumber(string.sub(existing, 2))}
  end
  local number = tonumber(existing)
  if number > q_number('serving') then
    return {'waiting', number}
  end
  if not is_active(number, now) then
    return {'lapsed', number}
  end
  redis.call('ZADD', ACTIVE, 'XX', now + cfg_number('access_ttl_ms'), number)
  return {'admitted', number}
end, close_reclaim)
