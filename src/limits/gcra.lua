-- GCRA, as the in-process limiter (governor) runs it, on Redis's clock:
-- a client's theoretical arrival time at `key` (microseconds), requests
-- `interval` microseconds apart at the steady rate, bursts running ahead
-- of it by up to `tolerance` (interval * (burst - 1)). Returns 0 when the
-- request may go on (and counts it), else the microseconds to wait.
local function gcra(key, interval, tolerance, now)
  local tat = tonumber(redis.call('GET', key) or now)
  local earliest = tat - tolerance
  if now < earliest then
    return math.ceil(earliest - now)
  end
  local next = math.max(tat, now) + interval
  -- Once `next` has passed, a missing key means the same: let it expire.
  redis.call('SET', key, string.format('%.0f', next), 'PX', math.ceil((next - now) / 1000) + 1)
  return 0
end

local function clock()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000000 + tonumber(time[2])
end
