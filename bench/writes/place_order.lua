-- wrk: placeOrder with two lines of quantity 1, each request as one of the
-- customers, over the products that bench/writes.py writes to
-- place_order_data.lua (`tokens`, `products`, `hot`). Counts the answers
-- that carry GraphQL errors, which HTTP counts as successes.
local data = dofile(os.getenv("PLACE_ORDER_DATA"))
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  failed = 0
  math.randomseed(id * 7919 + os.time())
end

local function pick_two()
  local n = #data.products
  local a = math.random(1, n)
  local b = 1 + (a + math.random(0, n - 2)) % n
  if data.hot then
    a = 1
    b = math.random(2, n)
  end
  return data.products[a], data.products[b]
end

function request()
  local a, b = pick_two()
  local token = data.tokens[math.random(1, #data.tokens)]
  local body = '{"query":"mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status totalCents } }",'
    .. '"variables":{"input":{"items":[{"productId":"' .. a .. '","quantity":1},{"productId":"' .. b .. '","quantity":1}]}}}'
  return wrk.format("POST", "/graphql", {
    ["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("failed")
  end
  io.write(string.format("RESULT %d %d %.3f %.3f\n", summary.requests, total,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
