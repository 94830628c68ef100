-- wrk script for the fastwsgi benchmark suite.
-- Checks every response (status 200 and body length) and prints one JSON line
-- ("BENCH_JSON {...}") with wrk's summary and the check counters.
-- Parameters come from the environment (set by bench/run.py):
--   BENCH_EXPECT_LEN  expected body length in bytes (required)
--   BENCH_PIPELINE    requests sent back-to-back per write (default 1)
--   BENCH_POST_SIZE   if > 0, send POST with a body of that many bytes
--   BENCH_CHECK       "full" (default): check every response in response();
--                     "light": no response() hook (it copies every body into a Lua
--                     string, which makes wrk the bottleneck for MiB-sized bodies);
--                     run.py then checks wrk's status errors and byte count instead
local expect_len = tonumber(os.getenv("BENCH_EXPECT_LEN") or "-1")
local depth = tonumber(os.getenv("BENCH_PIPELINE") or "1")
local post_size = tonumber(os.getenv("BENCH_POST_SIZE") or "0")
local check = os.getenv("BENCH_CHECK") or "full"

if post_size > 0 then
   wrk.method = "POST"
   wrk.body = string.rep("x", post_size)
   wrk.headers["Content-Type"] = "application/octet-stream"
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   ok = 0
   bad_status = 0
   bad_body = 0
   if depth > 1 then
      local one = wrk.format()
      pipelined = string.rep(one, depth)
   end
end

if depth > 1 then
   -- only defined when pipelining: otherwise wrk keeps its static request buffer
   function request()
      return pipelined
   end
end

if check == "full" then
   function response(status, headers, body)
      if status ~= 200 then
         bad_status = bad_status + 1
      elseif #body ~= expect_len then
         bad_body = bad_body + 1
      else
         ok = ok + 1
      end
   end
end

function done(summary, latency, requests)
   local n_ok, n_status, n_body = 0, 0, 0
   for _, t in ipairs(threads) do
      n_ok = n_ok + t:get("ok")
      n_status = n_status + t:get("bad_status")
      n_body = n_body + t:get("bad_body")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"check": "%s", "duration_us": %d, "requests": %d, "bytes": %d, ' ..
      '"err_connect": %d, "err_read": %d, "err_write": %d, "err_status": %d, "err_timeout": %d, ' ..
      '"ok": %d, "bad_status": %d, "bad_body": %d, ' ..
      '"lat_mean_us": %.1f, "lat_p50_us": %d, "lat_p99_us": %d, "lat_max_us": %d}\n',
      check, summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      n_ok, n_status, n_body,
      latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end
