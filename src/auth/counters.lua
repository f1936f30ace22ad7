-- A fixed-window counter shared by every instance (login failures,
-- registrations). KEYS[1]: the counter, expiring when its window ends.
-- ARGV[1]: 'hit' adds one, opening a window of ARGV[2] milliseconds if
-- none is open; 'peek' only reads.
-- Returns {count, milliseconds until the window ends}.
if ARGV[1] == 'peek' then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl <= 0 then
    return {0, 0}
  end
  return {tonumber(redis.call('GET', KEYS[1])), ttl}
end
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, ttl}
