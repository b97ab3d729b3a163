-- credkit-auth.lua: HAProxy (2.6+, built with Lua) asks credkit's data-plane listener about each request
-- with core.httpclient, then forwards it with the target credential instead of the caller's (tested:
-- apps/server/test/front-door-haproxy.test.ts runs this file with haproxy.cfg beside it).
--
--   http-request lua.credkit-auth <credkit host:port> <authz path> <gateway token> <caller headers>
--
-- <caller headers>: a comma-separated list of the headers your proxy credentials use (Authorization,
-- each apiKey's keyName); they are removed before credkit's answer is copied onto the request.
-- Answers: 2xx → every header of credkit's answer but the ones about the answer itself is set on the
-- request, X-Credkit-Target-Query becomes the query; 400/401/403/429/431 → the caller gets credkit's
-- status, WWW-Authenticate, Retry-After and body; anything else, or no answer in time (credkit down or
-- frozen) → 503 with Retry-After: 1. The request to credkit carries no body; it carries the caller's
-- address (HAProxy's source address) as X-Forwarded-For and X-Real-IP: list HAProxy in credkit's
-- CREDKIT_TRUSTED_PROXIES so that credkit counts failed attempts per caller.

-- Per attempt: HAProxy 2.6's httpclient retries a request that timed out 3 times (its own built-in
-- setting, not configurable before 2.9), so a silent credkit is answered 503 after about 4 × 400 ms.
local TIMEOUT_MS = 400

-- Headers of the caller's request not sent to credkit: about the connection or the body, not the caller.
local NOT_FORWARDED = {
  ["host"] = true, ["content-length"] = true, ["transfer-encoding"] = true, ["connection"] = true,
  ["keep-alive"] = true, ["te"] = true, ["trailer"] = true, ["upgrade"] = true, ["expect"] = true,
  ["proxy-connection"] = true, ["x-credkit-token"] = true,
}
-- Headers of credkit's allowed answer that describe the answer, never copied onto the request.
local NOT_COPIED = {
  ["cache-control"] = true, ["connection"] = true, ["content-length"] = true, ["content-type"] = true,
  ["date"] = true, ["keep-alive"] = true, ["transfer-encoding"] = true, ["x-credkit-target-query"] = true,
}
-- Refusals the caller sees as credkit gave them (with these headers); any other status fails closed.
local PASSED_STATUS = { [400] = true, [401] = true, [403] = true, [429] = true, [431] = true }
local PASSED_HEADERS = { "www-authenticate", "retry-after", "content-type" }

-- The caller's query string, kept only when it cannot stand for one of the target's parameters (the
-- rule of the nginx example, see docs/proxies.md): every name plain (letters, digits, "_", "-"), none a
-- target's in any case, no ";". Otherwise nil: the target's parameters go alone.
local function caller_query(caller, target)
  if caller == nil or caller == "" then return nil end
  local names = {}
  for part in (target .. "&"):gmatch("([^&]*)&") do
    names[(part:match("^([^=]*)") or ""):lower()] = true
  end
  for part in (caller .. "&"):gmatch("([^&]*)&") do
    local name = part:match("^([^=]*)")
    if not name:match("^[%w_%-]+$") or names[name:lower()] or part:find(";", 1, true) then return nil end
  end
  return caller
end

-- HAProxy numbers a header's values from 0 (req_get_headers and httpclient answers alike); Lua lists
-- (httpclient requests, replies) from 1.
local function list(values)
  local out = {}
  local i = values[0] ~= nil and 0 or 1
  while values[i] ~= nil do
    out[#out + 1] = values[i]
    i = i + 1
  end
  return out
end

local function unavailable(txn)
  txn:done({ status = 503, headers = { ["retry-after"] = { "1" }, ["content-type"] = { "text/plain" } },
    body = "credkit unavailable\n" })
end

core.register_action("credkit-auth", { "http-req" }, function(txn, authz, path, token, caller_headers)
  local headers = {}
  for name, values in pairs(txn.http:req_get_headers()) do
    if not NOT_FORWARDED[name] then headers[name] = list(values) end
  end
  headers["x-credkit-token"] = { token }
  -- The caller's address for credkit's per-caller throttle, from the connection: a caller's own
  -- X-Forwarded-For / X-Real-IP is replaced, never appended to (credkit would believe the forged part).
  headers["x-forwarded-for"] = { txn.f:src() }
  headers["x-real-ip"] = { txn.f:src() }
  local ok, res = pcall(function()
    return core.httpclient():get({ url = "http://" .. authz .. path, headers = headers, timeout = TIMEOUT_MS })
  end)
  local status = ok and res and tonumber(res.status) or 0
  if status >= 200 and status < 300 then
    for name in caller_headers:gmatch("[^,%s]+") do txn.http:req_del_header(name) end
    for name, values in pairs(res.headers or {}) do
      if not NOT_COPIED[name:lower()] then
        txn.http:req_del_header(name)
        for _, value in ipairs(list(values)) do txn.http:req_add_header(name, value) end
      end
    end
    local target = list(res.headers["x-credkit-target-query"] or {})[1]
    if target and target ~= "" then
      local caller = caller_query(txn.f:query(), target)
      txn.http:req_set_query(caller and (target .. "&" .. caller) or target)
    end
    return
  end
  if not PASSED_STATUS[status] then return unavailable(txn) end
  local reply = { status = status, headers = {}, body = res.body or "" }
  for _, name in ipairs(PASSED_HEADERS) do
    if res.headers and res.headers[name] then reply.headers[name] = list(res.headers[name]) end
  end
  txn:done(reply)
end, 4)
