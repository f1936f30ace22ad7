-- One client's cost budget, shared by every instance: the leaky bucket the
-- in-process store keeps, on Redis's clock.
-- KEYS[1]: the bucket, a hash of `points` (available at `at`) and `at`
-- (microseconds).
-- ARGV[1]: the bucket's size; ARGV[2]: points restored per second;
-- ARGV[3]: points to take, or to give back when ARGV[4] is 'give'.
-- Returns {1 when taken (or given back) else 0, points available after,
-- seconds to wait before the points could be taken}.
local size = tonumber(ARGV[1])
local rate = math.max(tonumber(ARGV[2]), 1)
local points = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local level = size
local stored = redis.call('HMGET', KEYS[1], 'points', 'at')
if stored[1] then
  local restored = (now - tonumber(stored[2])) / 1000000 * tonumber(ARGV[2])
  level = math.min(size, tonumber(stored[1]) + restored)
end
local taken, retry = 1, 0
if ARGV[4] == 'give' then
  level = math.min(size, level + points)
elseif level >= points then
  level = level - points
else
  taken = 0
  retry = math.max(1, math.ceil((points - level) / rate))
end
redis.call('HSET', KEYS[1], 'points', tostring(level), 'at', string.format('%.0f', now))
-- Once full again the bucket is as good as absent: let it expire then.
redis.call('PEXPIRE', KEYS[1], math.ceil((size - level) / rate * 1000) + 1000)
return {taken, math.floor(math.max(level, 0)), retry}
