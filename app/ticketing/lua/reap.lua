-- ARGV: limit. Expires due holds and old recorded replies; returns the ids of confirms overdue
-- for resolution.
local now = clock_ms()
forget_done(now, tonumber(ARGV[1]))
return settle_due_holds(now, tonumber(ARGV[1]))
