-- ARGV: limit. Expires due holds; returns the ids of confirms overdue for resolution.
return settle_due_holds(clock_ms(), tonumber(ARGV[1]))
