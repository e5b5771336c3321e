-- Shared by every bench script: numbers each thread, gathers per-thread status counts, and prints
-- one `WRK_JSON {...}` line from wrk's own latency histogram for app.bench.wrk to parse.
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads + 1)
  table.insert(threads, thread)
end

status_counts = {}

local function merged_statuses()
  local merged = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("status_counts") or {}) do
      merged[code] = (merged[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', code, count))
  end
  return table.concat(parts, ",")
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, merged_statuses()))
end
