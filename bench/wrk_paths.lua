-- wrk script of bench/bench_serve.py: each thread requests the paths of its own slice of a file
-- (one path per line), in order, one per request, going round when it reaches the end. The
-- bench makes a "cold" run short enough that no thread reaches the end of its slice, so no
-- document is asked twice. Arguments: the file, the number of threads, then headers as
-- "Name: value". The summary is printed as one JSON line (after a marker) for the bench.

local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end

function init(args)
  local file, count = args[1], tonumber(args[2])
  for i = 3, #args do
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
  return wrk.format(nil, paths[((position - 1) % #paths) + 1])
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
