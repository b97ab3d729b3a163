import { createHash } from "node:crypto";

/** A Lua script with its SHA1, run with EVALSHA and loaded with EVAL on NOSCRIPT. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

/** `lua` with the SHA1 Redis gives it (SCRIPT LOAD's answer), the name EVALSHA runs it by. */
export function luaScript(lua: string): LuaScript {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

function script(body: string): LuaScript {
  return luaScript(`${prelude}\n${body}`);
}

// Every client-scoped script gets `P{tag}:ids` as KEYS[1]; the other keys of the same client are derived
// from it so that a client-side ioredis `keyPrefix` is honoured. The derived keys share the hash tag of
// KEYS[1], hence its slot: Redis allows that for scripts without a shebang, on a cluster too.
// Record hashes hold r = record JSON, v = version, x = expiresAt (absent = never), h = lookup hash,
// t = "1" when temporary. `now` (epoch ms) comes from the caller so every store reads one clock.
// `unpack` is global in Redis's Lua 5.1; the fallback keeps the scripts runnable on Lua 5.3 (ioredis-mock).
const prelude = `
local unpack = unpack or table.unpack
local base = string.sub(KEYS[1], 1, -4)
local function recordKey(id) return base .. 'cred:' .. id end
local function lookupKey(hash) return base .. 'lookup:' .. hash end
-- Redis answers false for a missing hash field; ioredis-mock's Lua answers a null userdata: fold both.
local function hmget(key, ...)
  local values = redis.call('HMGET', key, ...)
  for i = 1, select('#', ...) do
    if type(values[i]) ~= 'string' then values[i] = false end
  end
  return values
end
-- core's expiry rule: expiresAt <= now is expired (isExpired in @credkit/core).
local function live(x, now) return (not x) or tonumber(x) > now end
local function dropLookup(hash, id)
  if not hash then return end
  local k = lookupKey(hash)
  if redis.call('GET', k) == id then redis.call('DEL', k) end
end
local function lookupHeldByOther(hash, id, now)
  local owner = redis.call('GET', lookupKey(hash))
  if (not owner) or owner == id then return false end
  local other = hmget(recordKey(owner), 'v', 'x', 'h')
  return other[1] and live(other[2], now) and other[3] == hash
end
-- The events a write carries: ARGV[from] is the pending-clients key ('' on a cluster, where it lives in
-- another slot and the caller bumps it around the script), ARGV[from + 1] the client id, the rest the
-- events' JSON. Appended in the write's own script: an applied write always has its events stored.
local function logEvents(from)
  if #ARGV < from + 2 then return end
  for i = from + 2, #ARGV do redis.call('RPUSH', base .. 'events', ARGV[i]) end
  if ARGV[from] ~= '' then redis.call('ZINCRBY', ARGV[from], 1, ARGV[from + 1]) end
end
local function write(key, id, json, version, expiresAt, hash, temporary, replace)
  -- A replaced record may hold fields (x, h, t) and a TTL the new one lacks: start from nothing.
  if replace then redis.call('DEL', key) end
  local fields = {'r', json, 'v', version}
  if expiresAt ~= '' then table.insert(fields, 'x'); table.insert(fields, expiresAt) end
  if hash ~= '' then table.insert(fields, 'h'); table.insert(fields, hash) end
  if temporary == '1' then table.insert(fields, 't'); table.insert(fields, '1') end
  redis.call('HSET', key, unpack(fields))
  redis.call('ZADD', KEYS[1], 0, id)
  if hash ~= '' then redis.call('SET', lookupKey(hash), id) end
  if expiresAt ~= '' then
    redis.call('PEXPIREAT', key, expiresAt)
    if hash ~= '' then redis.call('PEXPIREAT', lookupKey(hash), expiresAt) end
  end
end
`;

/**
 * create. KEYS: ids, record. ARGV: id, json, version, expiresAt|'', lookupHash|'', temporary '1'|'0', now,
 * then the events (see logEvents).
 * Returns 0 = created, 1 = the id exists, 2 = the lookup hash belongs to another live record.
 */
export const createScript = script(
  `
local id, now = ARGV[1], tonumber(ARGV[7])
local cur = hmget(KEYS[2], 'v', 'x', 'h')
if cur[1] then
  if live(cur[2], now) then return 1 end
  -- Expired but not yet evicted by Redis: it is "absent", so clear it before reusing the id.
  dropLookup(cur[3], id)
  redis.call('DEL', KEYS[2])
end
if ARGV[5] ~= '' and lookupHeldByOther(ARGV[5], id, now) then return 2 end
write(KEYS[2], id, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], false)
logEvents(8)
return 0
`,
);

/**
 * Compare-and-set update. KEYS: ids, record. ARGV: id, json, expectedVersion, nextVersion,
 * expiresAt|'', lookupHash|'', temporary, now, then the events (see logEvents).
 * Returns {0} = absent or expired, {1} = written, {2, storedVersion} = version conflict,
 * {3} = the new lookup hash belongs to another live record.
 */
export const updateScript = script(
  `
local id, now = ARGV[1], tonumber(ARGV[8])
local cur = hmget(KEYS[2], 'v', 'x', 'h')
if (not cur[1]) or (not live(cur[2], now)) then return {0} end
if cur[1] ~= ARGV[3] then return {2, cur[1]} end
if ARGV[6] ~= '' and ARGV[6] ~= cur[3] and lookupHeldByOther(ARGV[6], id, now) then return {3} end
if cur[3] and cur[3] ~= ARGV[6] then dropLookup(cur[3], id) end
write(KEYS[2], id, ARGV[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7], true)
logEvents(9)
return {1}
`,
);

/**
 * delete / consume. KEYS: ids, record. ARGV: id, now, then the events (see logEvents), appended only
 * when a live record was removed. Removes the record, its index entry and its
 * lookup entry; returns the record JSON when it existed and was live, else false (nil).
 */
export const takeScript = script(
  `
local id, now = ARGV[1], tonumber(ARGV[2])
local cur = hmget(KEYS[2], 'r', 'x', 'h')
redis.call('ZREM', KEYS[1], id)
if not cur[1] then return false end
dropLookup(cur[3], id)
redis.call('DEL', KEYS[2])
if live(cur[2], now) then
  logEvents(3)
  return cur[1]
end
return false
`,
);

/** findByLookup. KEYS: ids, lookup. ARGV: lookupHash, now. Returns the live owner's JSON or nil. */
export const findByLookupScript = script(
  `
local id = redis.call('GET', KEYS[2])
if not id then return false end
local cur = hmget(recordKey(id), 'r', 'x', 'h')
if cur[1] and live(cur[2], tonumber(ARGV[2])) and cur[3] == ARGV[1] then return cur[1] end
return false
`,
);

/**
 * findByLookups. KEYS: ids. ARGV: now, then the lookup hashes. Returns one entry per hash, in order:
 * the live owner's JSON or false (nil in the reply). One script, so one round trip and one atomic read
 * of every hash; the lookup keys are derived from KEYS[1], on the client's slot (Cluster too).
 */
export const findByLookupsScript = script(
  `
local now = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local hash = ARGV[i]
  local found = false
  local id = redis.call('GET', lookupKey(hash))
  if id then
    local cur = hmget(recordKey(id), 'r', 'x', 'h')
    if cur[1] and live(cur[2], now) and cur[3] == hash then found = cur[1] end
  end
  out[i - 1] = found
end
return out
`,
);

/**
 * One page of a client's ids. KEYS: ids. ARGV: start ('-' or '(' .. lastId), limit, includeTemporary
 * '1'|'0', now. Returns the flat array {more 1|0, lastScannedId|nil, json...}. Index entries whose
 * record Redis has already expired are removed here, lazily.
 */
export const listScript = script(
  `
local limit, now = tonumber(ARGV[2]), tonumber(ARGV[4])
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, limit)
local out = {}
for _, id in ipairs(ids) do
  local cur = hmget(recordKey(id), 'r', 'x', 't')
  if not cur[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif live(cur[2], now) and (ARGV[3] == '1' or cur[3] ~= '1') then
    table.insert(out, cur[1])
  end
end
local more = 0
if #ids == limit then more = 1 end
-- Flat, built by a constructor: ioredis-mock's Lua cannot return a table grown with table.insert.
return {more, ids[#ids] or false, unpack(out)}
`,
);

// The lease scripts and dropPendingClient use a single key outside any client: no prelude.

/** acquireLease. KEYS: lease. ARGV: owner, ttlMs. 1 if owner holds it now (taken or renewed). */
export const acquireLeaseScript = luaScript(
  `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`,
);

/** releaseLease. KEYS: lease. ARGV: owner. 1 if released. */
export const releaseLeaseScript = luaScript(
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`,
);

/**
 * Drops a client from the pending-clients set, only while its score is still the one the relay read:
 * a write that appended an event since has bumped it. KEYS: pending-clients. ARGV: client id, score.
 */
export const dropPendingClientScript = luaScript(
  `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`,
);
