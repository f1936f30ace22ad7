-- Clients' cost budgets, shared by every instance: the leaky buckets the
-- in-process store keeps, on Redis's clock.
-- KEYS: the buckets, hashes of `points` (available at `at`) and `at`
-- (microseconds).
-- ARGV[1]: a bucket's size; ARGV[2]: points restored per second;
-- ARGV[3]: 'take' (from the one bucket named) or 'give' (back, to each);
-- ARGV[3 + i]: the points to take from or give back to KEYS[i].
-- Returns {1 when taken (or given back) else 0, points available after in
-- the last bucket, seconds to wait before the points could be taken}.
local size = tonumber(ARGV[1])
local rate = math.max(tonumber(ARGV[2]), 1)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local taken, level, retry = 1, size, 0
for i, key in ipairs(KEYS) do
  local points = tonumber(ARGV[3 + i])
  level = size
  local stored = redis.call('HMGET', key, 'points', 'at')
  if stored[1] then
    local restored = (now - tonumber(stored[2])) / 1000000 * tonumber(ARGV[2])
    level = math.min(size, tonumber(stored[1]) + restored)
  end
  if ARGV[3] == 'give' then
    level = math.min(size, level + points)
  elseif level >= points then
    level = level - points
  else
    taken = 0
    retry = math.max(1, math.ceil((points - level) / rate))
  end
  redis.call('HSET', key, 'points', tostring(level), 'at', string.format('%.0f', now))
  -- Once full again the bucket is as good as absent: let it expire then.
  redis.call('PEXPIRE', key, math.ceil((size - level) / rate * 1000) + 1000)
end
return {taken, math.floor(math.max(level, 0)), retry}
