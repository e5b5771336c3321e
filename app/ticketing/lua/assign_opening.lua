-- ARGV: client_id, number, client_id, number, ... then the last ARGV '1' when this is the final
-- batch. Deterministic (seeded), so a repeat by another replica writes the same numbers.
local last = #ARGV
for index = 1, last - 1, 2 do
  redis.call('HSET', CLIENTS, ARGV[index], ARGV[index + 1])
end
if ARGV[last] == '1' then
  redis.call('HSET', Q, 'assigned', '1')
  redis.call('PUBLISH', UPDATES, 'q ' .. q_number('serving') .. ' ' .. q_number('seq'))
end
return 1
