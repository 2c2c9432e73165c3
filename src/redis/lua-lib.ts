import { LUA_OUTBOX } from './lua-outbox.js';

// The Lua shared by every script of the Redis store (prepended to each one): the argument
// layout, key names, the outbox (numbered notifications with their bounds), the log of
// dropped notifications and the request ledger. Semantics follow the memory store
// (src/server/store/*.ts); keys.ts documents the layout.
//
// Every script gets the same first ARGV: prefix, epoch, calling node, then the limits. A
// script run against a store whose epoch changed (Redis came back empty) fails with
// RESIGNAL_EPOCH and changes nothing.

/** ARGV positions before each script's own arguments. */
export const BASE_ARGS = 13;

export const LUA_LIB = `
local P, EPOCH, CALLER = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'epoch') ~= EPOCH then
  return redis.error_reply('RESIGNAL_EPOCH the store lost its data')
end
local MAXN, MAXB = tonumber(ARGV[4]), tonumber(ARGV[5])
local WINDOW, DLIMIT, DMAXB = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local LEASE, NODETTL, SESSTTL = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local MAXPEERS, MAXROOMS = tonumber(ARGV[12]), tonumber(ARGV[13])
local A = ${BASE_ARGS}
-- Keys outlive the moment their session ends by this much, so a sweep late by up to a
-- minute still finds them (and takes the peer out of its rooms).
local MARGIN = 60000
-- Bytes charged per ledger entry, as the memory store's ENTRY_OVERHEAD_BYTES.
local ENTRY = 160
local MAXLOST = 256
local MAXFOLDED = 64

local function K(kind, id) return P .. kind .. ':' .. id end
local SESSION_KINDS = { 's', 'q', 'qb', 'n', 'ln', 'lx', 'l', 'lf', 'm' }

local function tell(node, msg)
  if node ~= '' and node ~= false then redis.call('PUBLISH', P .. 'node:' .. node, cjson.encode(msg)) end
end

-- Every key of a session expires in ms (or never, for ms == nil); its ledger a dedupe window later.
local function expireSession(peer, ms)
  for _, kind in ipairs(SESSION_KINDS) do
    if ms then redis.call('PEXPIRE', K(kind, peer), ms) else redis.call('PERSIST', K(kind, peer)) end
  end
  for _, kind in ipairs({ 'd', 'do' }) do
    if ms then redis.call('PEXPIRE', K(kind, peer), ms + WINDOW + LEASE) else redis.call('PERSIST', K(kind, peer)) end
  end
end

-- Keys written for a detached session take its time to live (a key created after detach has none).
local function followSession(peer, kinds)
  local ttl = redis.call('PTTL', K('s', peer))
  if ttl < 0 then return end
  for _, kind in ipairs(kinds) do redis.call('PEXPIRE', K(kind, peer), ttl) end
end

-- The ledger of a peer without an attached session expires a dedupe window after the session would.
local function ledgerTtl(peer)
  local ttl = redis.call('PTTL', K('s', peer))
  if ttl == -1 then return end
  local ms = WINDOW + LEASE + MARGIN + math.max(ttl, 0)
  redis.call('PEXPIRE', K('d', peer), ms)
  redis.call('PEXPIRE', K('do', peer), ms)
end

-- Lost log: dropped (seq, room) pairs in zset l; past MAXLOST the oldest fold into hash lf
-- ('#' count, 'r<room>' per room, 'k' rooms named, '!' some room could not be named).
local function lostAdd(peer, seq, room)
  local l = K('l', peer)
  redis.call('ZADD', l, seq, seq .. ':' .. room)
  if redis.call('ZCARD', l) > MAXLOST then
    local old = redis.call('ZPOPMIN', l)
    local r = string.match(old[1], '^%d+:(.*)$')
    local lf = K('lf', peer)
    redis.call('HINCRBY', lf, '#', 1)
    if r ~= '' then
      if redis.call('HEXISTS', lf, 'r' .. r) == 1 or tonumber(redis.call('HGET', lf, 'k') or '0') < MAXFOLDED then
        if redis.call('HSETNX', lf, 'r' .. r, 0) == 1 then redis.call('HINCRBY', lf, 'k', 1) end
        redis.call('HINCRBY', lf, 'r' .. r, 1)
      else
        redis.call('HSET', lf, '!', 1)
      end
    end
  end
end

-- What welcome.lost reports, JSON [count, named, room, n, ...], or ''; reported once.
local function lostTake(peer)
  local l, lf = K('l', peer), K('lf', peer)
  local entries = redis.call('ZRANGE', l, 0, -1)
  local folded = redis.call('HGETALL', lf)
  local count, named, rooms = #entries, 1, {}
  for i = 1, #folded, 2 do
    local k, v = folded[i], folded[i + 1]
    if k == '#' then count = count + tonumber(v)
    elseif k == '!' then named = 0
    elseif string.sub(k, 1, 1) == 'r' then rooms[string.sub(k, 2)] = (rooms[string.sub(k, 2)] or 0) + tonumber(v) end
  end
  if count == 0 then return '' end
  for _, e in ipairs(entries) do
    local r = string.match(e, '^%d+:(.*)$')
    if r ~= '' then rooms[r] = (rooms[r] or 0) + 1 end
  end
  redis.call('DEL', l, lf)
  local out = { count, named }
  for r, n in pairs(rooms) do out[#out + 1] = r; out[#out + 1] = n end
  return cjson.encode(out)
end

${LUA_OUTBOX}
-- Ledger: hash d ('i<id>' = 'R<fence>:<until>' or 'A<expires>:<text>', 'b' bytes, 'n' counter),
-- zset do (id by age: an id written again goes to the back).
local function lget(peer, id)
  local v = redis.call('HGET', K('d', peer), 'i' .. id)
  if not v then return nil end
  local a, rest = string.match(v, '^.(%d+):(.*)$')
  if string.sub(v, 1, 1) == 'R' then
    return { answered = false, fence = tonumber(a), till = tonumber(rest), bytes = ENTRY + #id }
  end
  return { answered = true, expires = tonumber(a), text = rest, bytes = ENTRY + #id + #rest }
end

local function lremove(peer, id, e)
  redis.call('HDEL', K('d', peer), 'i' .. id)
  redis.call('ZREM', K('do', peer), id)
  redis.call('HINCRBY', K('d', peer), 'b', -e.bytes)
end

local function lset(peer, id, value, bytes)
  local d = K('d', peer)
  redis.call('HSET', d, 'i' .. id, value)
  redis.call('ZADD', K('do', peer), redis.call('HINCRBY', d, 'n', 1), id)
  redis.call('HINCRBY', d, 'b', bytes)
end

-- Forget expired answers, then the oldest answers while over a bound; never keep, never a running one.
local function ltrim(peer, now, keep)
  local d, o = K('d', peer), K('do', peer)
  local count = redis.call('ZCARD', o)
  local bytes = tonumber(redis.call('HGET', d, 'b') or '0')
  local skip = 0
  while true do
    local ids = redis.call('ZRANGE', o, skip, skip + 15)
    if #ids == 0 then return end
    for _, id in ipairs(ids) do
      local e = lget(peer, id)
      if not e.answered or id == keep then
        skip = skip + 1
      else
        local over = count > DLIMIT or bytes > DMAXB
        if e.expires > now and not over then return end
        lremove(peer, id, e)
        count, bytes = count - 1, bytes - e.bytes
      end
    end
  end
end

local function lanswer(peer, id, now)
  local e = lget(peer, id)
  if e and e.answered and e.expires > now then return e.text end
  return nil
end

local function lremember(peer, id, text, now)
  local e = lget(peer, id)
  if e then lremove(peer, id, e) end
  lset(peer, id, 'A' .. (now + WINDOW) .. ':' .. text, ENTRY + #id + #text)
  ltrim(peer, now, id)
  ledgerTtl(peer)
end

-- Take peer out of a room; the room's keys vanish with its last member.
local function leaveRoom(peer, room)
  redis.call('HDEL', K('r', room), peer)
  redis.call('ZREM', K('ro', room), peer)
  redis.call('SREM', K('m', peer), room)
end

-- End a session: delete its keys, take it out of its rooms (peer-left to the others, appended
-- to out), let its ledger live one more dedupe window.
local function close(peer, ended, out)
  local s = K('s', peer)
  local node = redis.call('HGET', s, 'node')
  if node and node ~= '' then redis.call('SREM', P .. 'ns:' .. node, peer) end
  redis.call('SREM', P .. 'sessions', peer)
  redis.call('ZREM', P .. 'detached', peer)
  ended[#ended + 1] = peer
  local rooms = redis.call('SMEMBERS', K('m', peer))
  for _, kind in ipairs(SESSION_KINDS) do redis.call('DEL', K(kind, peer)) end
  for _, room in ipairs(rooms) do
    leaveRoom(peer, room)
    local head = '{"type":"notification","method":"peer-left","data":{"room":' .. cjson.encode(room) ..
      ',"peerId":' .. cjson.encode(peer) .. ',"reason":"session-end"}'
    for _, other in ipairs(redis.call('ZRANGE', K('ro', room), 0, -1)) do pushOne(other, head, false, room, peer, out, head) end
  end
  ledgerTtl(peer)
end
`;
