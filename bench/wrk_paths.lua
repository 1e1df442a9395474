-- wrk script of bench/bench_serve.py: each connection's thread requests the paths of its own
-- slice of a file, one per request, once each, then stops, so that a "cold" run never asks a
-- document twice ("once"), or goes round them for the whole run ("loop", a hot run).
-- Arguments: the file, the number of threads, once|loop, then headers as "Name: value".
-- The summary is printed as one JSON line (after a marker) for the bench to read.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, count = args[1], tonumber(args[2])
  looping = args[3] == "loop"
  for i = 4, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  paths = {}
  local n = 0
  for line in io.lines(file) do
    if n % count == index then table.insert(paths, line) end
    n = n + 1
  end
  position = 0
end

function request()
  position = position + 1
  local path = paths[((position - 1) % #paths) + 1]
  return wrk.format(nil, path)
end

function response(status, headers, body)
  if position >= #paths and not looping then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local out = {
    requests = summary.requests,
    seconds = summary.duration / 1e6,
    bytes = summary.bytes,
    errors_connect = summary.errors.connect,
    errors_read = summary.errors.read,
    errors_write = summary.errors.write,
    errors_status = summary.errors.status,
    errors_timeout = summary.errors.timeout,
    p50_ms = latency:percentile(50) / 1000,
    p90_ms = latency:percentile(90) / 1000,
    p99_ms = latency:percentile(99) / 1000,
    max_ms = latency.max / 1000,
  }
  local parts = {}
  for k, v in pairs(out) do table.insert(parts, string.format('"%s": %s', k, tostring(v))) end
  io.write("WRK-JSON {" .. table.concat(parts, ", ") .. "}\n")
end
