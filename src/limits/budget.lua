-- Clients' cost budgets, shared by every instance: the leaky buckets the
-- in-process store keeps, on Redis's clock (gcra.lua comes first).
-- KEYS[1]: a bucket, a hash of `points` (available at `at`) and `at`
-- (microseconds); with 'give', every key is a bucket.
-- ARGV[1]: a bucket's size; ARGV[2]: points restored per second;
-- ARGV[3]: 'take' or 'give';
-- with 'take': ARGV[4] the points to take; and, when KEYS[2] names the
-- client's request rate (see rate.lua), ARGV[5] and ARGV[6] its interval and
-- tolerance: the request is counted against the rate first, and nothing is
-- taken when the rate refuses it;
-- with 'give': ARGV[3 + i] the points to give back to KEYS[i].
-- Returns, for 'take', {1 when taken else 0, points available after (0
-- when the rate refused), seconds to wait before the points could be
-- taken, microseconds to wait before the rate lets the request go on (0
-- when it does)}; for 'give', {1, 0, 0, 0}.
local size = tonumber(ARGV[1])
local rate = math.max(tonumber(ARGV[2]), 1)
local now = clock()

-- The level of the bucket at `key` after taking (or giving back) `points`.
local function settle(key, points, give)
  local level = size
  local stored = redis.call('HMGET', key, 'points', 'at')
  if stored[1] then
    local restored = (now - tonumber(stored[2])) / 1000000 * tonumber(ARGV[2])
    level = math.min(size, tonumber(stored[1]) + restored)
  end
  local taken, retry = 1, 0
  if give then
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
  return {taken, math.floor(math.max(level, 0)), retry, 0}
end

if ARGV[3] == 'give' then
  for i, key in ipairs(KEYS) do
    settle(key, tonumber(ARGV[3 + i]), true)
  end
  return {1, 0, 0, 0}
end
if KEYS[2] then
  local wait = gcra(KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
  if wait > 0 then
    return {0, 0, 0, wait}
  end
end
return settle(KEYS[1], tonumber(ARGV[4]), false)
