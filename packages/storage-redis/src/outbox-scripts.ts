import { type LuaScript, luaScript } from "./scripts.js";

function script(body: string): LuaScript {
  // KEYS[1] is `P{events}:due`; every other key is derived from it (same hash tag, same slot).
  return luaScript(`local base = string.sub(KEYS[1], 1, -4)\n${body}`);
}

/**
 * ARGV: the most entries a queue holds, the failed-list cap, then (queue, entry JSON, nextAttemptAt,
 * the entry's failed JSON, failed-list suffix) quintuples. Appends each entry (a new queue becomes
 * due); an entry whose queue is full goes to its webhook's failed list instead.
 */
export const enqueueScript = script(
  `
local cap = tonumber(ARGV[1])
for i = 3, #ARGV, 5 do
  local q = ARGV[i]
  local qk = base .. 'q:' .. q
  if redis.call('LLEN', qk) >= cap then
    local fk = base .. 'failed:' .. ARGV[i + 4]
    redis.call('LPUSH', fk, ARGV[i + 3])
    redis.call('LTRIM', fk, 0, tonumber(ARGV[2]) - 1)
  else
    redis.call('RPUSH', qk, ARGV[i + 1])
    if not redis.call('ZSCORE', KEYS[1], q) then redis.call('ZADD', KEYS[1], ARGV[i + 2], q) end
  end
end
return 1
`,
);

/**
 * ARGV: owner, now, leaseMs, limit. The heads of due queues; each claimed queue is leased to owner and
 * hidden (its score moved to now + leaseMs) until settled or the lease lapses.
 */
export const claimScript = script(
  `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local till = tonumber(ARGV[2]) + tonumber(ARGV[3])
local out = {}
for _, q in ipairs(due) do
  local head = redis.call('LINDEX', base .. 'q:' .. q, 0)
  if head then
    redis.call('ZADD', KEYS[1], till, q)
    redis.call('SET', base .. 'lease:' .. q, ARGV[1])
    out[#out + 1] = head
  else
    redis.call('ZREM', KEYS[1], q)
  end
end
return out
`,
);

/**
 * ARGV: owner, queue, deliveryId, outcome (delivered|retry|failed), the head's new JSON (retry,
 * failed), nextAttemptAt (retry), failed-list suffix, failed-list cap. 1 when settled, 0 when the owner
 * no longer holds the queue or its head is another entry.
 */
export const settleScript = script(
  `
local q = ARGV[2]
local qk = base .. 'q:' .. q
local lk = base .. 'lease:' .. q
if redis.call('GET', lk) ~= ARGV[1] then return 0 end
local head = redis.call('LINDEX', qk, 0)
if not head or cjson.decode(head).deliveryId ~= ARGV[3] then return 0 end
redis.call('DEL', lk)
if ARGV[4] == 'retry' then
  redis.call('LSET', qk, 0, ARGV[5])
  redis.call('ZADD', KEYS[1], ARGV[6], q)
  return 1
end
redis.call('LPOP', qk)
if ARGV[4] == 'failed' then
  local fk = base .. 'failed:' .. ARGV[7]
  redis.call('LPUSH', fk, ARGV[5])
  redis.call('LTRIM', fk, 0, tonumber(ARGV[8]) - 1)
end
if redis.call('LLEN', qk) > 0 then redis.call('ZADD', KEYS[1], 0, q) else redis.call('ZREM', KEYS[1], q) end
return 1
`,
);

/**
 * KEYS[2]: a client's webhook hash, KEYS[3]: the set of clients with webhooks. ARGV: webhookId, its
 * JSON, the most webhooks a client may have, clientId. 1 when saved, 0 when the id exists, -1 when the
 * client has the most already (counted and saved in one step: concurrent saves cannot pass the bound).
 */
export const saveWebhookScript = script(
  `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
return 1
`,
);

/**
 * KEYS[2]: a client's webhook hash. ARGV: webhookId, the expected sealed secret, the new one. 1 when
 * replaced, 0 when the webhook is gone or its secret is another.
 */
export const replaceSecretScript = script(
  `
local json = redis.call('HGET', KEYS[2], ARGV[1])
if not json then return 0 end
local webhook = cjson.decode(json)
if webhook.secret ~= ARGV[2] then return 0 end
webhook.secret = ARGV[3]
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(webhook))
return 1
`,
);
