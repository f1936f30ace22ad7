-- The request rate of one client, shared by every instance (gcra.lua comes
-- first).
-- KEYS[1]: the client's theoretical arrival time.
-- ARGV[1]: microseconds between two requests at the steady rate.
-- ARGV[2]: the burst's tolerance: ARGV[1] * (burst - 1).
-- Returns 0 when the request may go on, else the microseconds to wait.
return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), clock())
