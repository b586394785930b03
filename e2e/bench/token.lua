-- wrk script for the token endpoint. Each request takes one value from this thread's
-- queue: a refresh token (MODE=refresh: the answer's new refresh token goes back on the
-- queue, as an app that rotates would keep it) or an authorization code (MODE=code).
-- Env: MODE, VALUES (a file, one value per line), AUTH (the Basic header), REDIRECT_URI,
-- VERIFIER, THREADS, TOKEN_PATH. Prints "ok N" (200 answers) per run in done().
local mode = os.getenv("MODE")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  queue = {}
  ok = 0
  local n = tonumber(os.getenv("THREADS"))
  local i = 0
  for line in io.lines(os.getenv("VALUES")) do
    if i % n == id - 1 then table.insert(queue, line) end
    i = i + 1
  end
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = os.getenv("AUTH"),
  }
  tail = "&redirect_uri=" .. os.getenv("REDIRECT_URI") .. "&code_verifier=" .. os.getenv("VERIFIER")
end

function request()
  local value = table.remove(queue, 1) or "exhausted"
  local body
  if mode == "refresh" then
    body = "grant_type=refresh_token&refresh_token=" .. value
  else
    body = "grant_type=authorization_code&code=" .. value .. tail
  end
  return wrk.format("POST", os.getenv("TOKEN_PATH"), headers, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    if mode == "refresh" then
      local next = body:match('"refresh_token":"([^"]+)"')
      if next then table.insert(queue, next) end
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("ok") end
  io.write(string.format("ok %d\n", total))
end
