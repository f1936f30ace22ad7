-- The request rate of one client, shared by every instance: GCRA as the
-- in-process limiter (governor) runs it, on Redis's clock.
-- KEYS[1]: the client's theoretical arrival time (microseconds).
-- ARGV[1]: microseconds between two requests at the steady rate.
-- ARGV[2]: the burst's tolerance: ARGV[1] * (burst - 1).
-- Returns 0 when the request may go on, else the microseconds to wait.
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local earliest = tat - tolerance
if now < earliest then
  return math.ceil(earliest - now)
end
local next = math.max(tat, now) + interval
-- Once `next` has passed, a missing key means the same: let it expire.
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.ceil((next - now) / 1000) + 1)
return 0
