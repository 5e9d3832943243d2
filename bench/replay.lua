-- wrk script: replay pre-signed Slack requests from a file.
-- Arguments after "--": the requests file (timestamp<TAB>signature<TAB>body per line) and
-- the number of wrk threads. Thread i sends lines i, i+n, i+2n... so no two threads send
-- the same request. A thread that runs out of lines starts again and counts it in
-- `wrapped`: where every body must be distinct, the bench reports such a run as failed.

local created = 0
local threads = {}

function setup(thread)
  thread:set("id", created)
  created = created + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  requests = {}
  local line_number = 0
  for line in io.lines(path) do
    if line_number % nthreads == id then
      local stamp, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Slack-Request-Timestamp"] = stamp,
        ["X-Slack-Signature"] = signature,
      }
      table.insert(requests, wrk.format("POST", nil, headers, body))
    end
    line_number = line_number + 1
  end
  position = 0
  wrapped = 0
end

function request()
  position = position + 1
  if position > #requests then
    position = 1
    wrapped = wrapped + 1
  end
  return requests[position]
end

function done(summary, latency, requests)
  local wrapped_total = 0
  for _, thread in ipairs(threads) do
    wrapped_total = wrapped_total + thread:get("wrapped")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
      .. '"p50_us": %d, "p99_us": %d, "wrapped": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(99), wrapped_total))
end
