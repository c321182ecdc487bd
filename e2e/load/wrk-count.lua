-- Makes wrk's counts auditable (e2e/.../load/ToolLoad): wrk itself counts a timeout only when a late answer arrives
-- and never counts a request lost with its connection or still in flight at the end. This script counts every
-- request sent and every answer received; the difference is the requests that never got one.
-- Argument: the window in seconds. Run with one connection per thread (-tN -cN), so a thread has at most one request
-- in flight: the requests a thread starts after the window are not counted (it stops at the first one; wrk cannot
-- stop before writing it), and wrk's -d is only the outer bound, whose cut leaves the request unanswered.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  deadline = os.time() + tonumber(args[1])
  issued, answered, good = 0, 0, 0
  counted = false
  -- wrk calls the first thread's request() once before it runs, only to check the request (script_verify_request).
  verifying = (index == 1)
end

function request()
  if verifying then
    verifying = false
    return wrk.format()
  end
  if os.time() >= deadline then
    counted = false
    wrk.thread:stop()
  else
    counted = true
    issued = issued + 1
  end
  return wrk.format()
end

function response(status, headers, body)
  if not counted then
    return
  end
  answered = answered + 1
  if status >= 200 and status < 400 then
    good = good + 1
  end
end

function done(summary, latency, requests)
  local i, a, g = 0, 0, 0
  for _, t in ipairs(threads) do
    i = i + t:get("issued")
    a = a + t:get("answered")
    g = g + t:get("good")
  end
  io.write(string.format("graceful-count issued=%d answered=%d good=%d\n", i, a, g))
end
