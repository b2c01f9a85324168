-- The bench's wrk script (run by bench/wrk.go). Arguments after "--":
--   kind  path  base  pool  threads  [ids-file  auth]
-- kind is one of:
--   noop-post  POST path, a callback-shaped body (the baseline of callbacks)
--   pending    POST a callback naming pending checkout p-N, each N once
--   settled    POST a callback naming settled checkout s-N, N random in [0, pool)
--   early      POST a callback naming unregistered transaction u-N, each N once
--   noop-get   GET path (the baseline of reads)
--   read       GET path .. id, an id of ids-file picked at random, with a bearer key
-- Thread t of T names N = base + k*T + t for its k-th request (k counts
-- from 0), so no two threads name the same N; done() prints the largest k
-- reached, for the next round's base.

local kind, path, base, pool, nthreads
local ids, auth
k = 0 -- global: done() reads it from each thread
local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  kind, path = args[1], args[2]
  base, pool, nthreads = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
  math.randomseed(os.time() + tid * 7919)
  if kind == "read" then
    ids = {}
    for line in io.lines(args[6]) do
      ids[#ids + 1] = line
    end
    auth = "Bearer " .. args[7]
  end
end

local json_headers = { ["Content-Type"] = "application/json" }

local function callback(txn)
  return '{"transaction_id":"' .. txn .. '","status":"SUCCESS","amount":10,"currency":"XAF","transaction_amount":10}'
end

function request()
  local n = base + k * nthreads + tid
  k = k + 1
  if kind == "noop-post" then
    return wrk.format("POST", path, json_headers, callback("p-" .. n))
  elseif kind == "pending" then
    return wrk.format("POST", path, json_headers, callback("p-" .. n))
  elseif kind == "settled" then
    return wrk.format("POST", path, json_headers, callback("s-" .. math.random(0, pool - 1)))
  elseif kind == "early" then
    return wrk.format("POST", path, json_headers, callback("u-" .. n))
  elseif kind == "noop-get" then
    return wrk.format("GET", path)
  else
    return wrk.format("GET", path .. ids[math.random(1, #ids)], { ["Authorization"] = auth })
  end
end

function done(summary, latency, requests)
  local maxk = 0
  for _, t in ipairs(threads) do
    local tk = t:get("k")
    if tk > maxk then maxk = tk end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d max_k=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout, maxk))
end
