-- wrk script: rotate logged-in sessions (Cookie or Authorization per request), print JSON at the end.
-- Headers come from the file named by the BENCH_HEADERS environment variable, one "Name: value" a line.
local headers = {}
local path = os.getenv("BENCH_PATH") or "/"
local counter = 0

local file = io.open(os.getenv("BENCH_HEADERS") or "", "r")
if file then
  for line in file:lines() do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then table.insert(headers, {name, value}) end
  end
  file:close()
end

request = function()
  counter = counter + 1
  local h = {}
  if #headers > 0 then
    local pick = headers[(counter % #headers) + 1]
    h[pick[1]] = pick[2]
  end
  return wrk.format("GET", path, h)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
