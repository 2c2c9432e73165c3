// One Lua script per store operation, each atomic. ARGV after the common ones (lua-lib.ts)
// is listed above each. Replies are flat arrays; redis-store.ts decodes them. A delivery is
// six values: peer, node, seq, dropped, overflow ('' for none), head ('' = the request's).
import { LUA_LIB } from './lua-lib.js';

const body = {
  // peer, create ('1'/'0'), ack ('' for none), now
  // -> {0} | {1, fence, ''} (created) | {2, fence, lost, seq, text, ...} (resumed)
  open: `
local peer, create, ack, now = ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], tonumber(ARGV[A + 4])
local till = redis.call('ZSCORE', P .. 'revoked', peer)
if till and tonumber(till) > now then return { 0 } end
local s = K('s', peer)
local cur = redis.call('HMGET', s, 'node', 'fence')
if not cur[1] and create ~= '1' then return { 0 } end
local fence = redis.call('INCR', P .. 'fence')
redis.call('SADD', P .. 'ns:' .. CALLER, peer)
if not cur[1] then
  redis.call('HSET', s, 'node', CALLER, 'fence', fence, 'seq', 0, 'bytes', 0)
  redis.call('SADD', P .. 'sessions', peer)
  expireSession(peer, nil)
  return { 1, fence, '' }
end
if cur[1] ~= '' then
  tell(cur[1], { 'r', peer, tonumber(cur[2]), 'replaced', 'session resumed on another socket' })
  if cur[1] ~= CALLER then redis.call('SREM', P .. 'ns:' .. cur[1], peer) end
end
redis.call('HSET', s, 'node', CALLER, 'fence', fence)
redis.call('HDEL', s, 'expires')
redis.call('ZREM', P .. 'detached', peer)
expireSession(peer, nil)
if ack ~= '' then ackTo(peer, tonumber(ack)) end
return frames(peer, 0, { 2, fence, lostTake(peer) })
`,
  // peer, fence, now, ttl -> 1 | 0
  detach: `
local peer, fence, now, ttl = ARGV[A + 1], tonumber(ARGV[A + 2]), tonumber(ARGV[A + 3]), tonumber(ARGV[A + 4])
local s = K('s', peer)
local cur = redis.call('HMGET', s, 'node', 'fence')
if not cur[1] or tonumber(cur[2]) ~= fence then return 0 end
if cur[1] ~= '' then redis.call('SREM', P .. 'ns:' .. cur[1], peer) end
redis.call('HSET', s, 'node', '', 'expires', now + ttl)
redis.call('ZADD', P .. 'detached', now + ttl, peer)
expireSession(peer, ttl + MARGIN)
return 1
`,
  // why, reason, now, peer... -> {n, peer x n, delivery...}
  end: `
local why, reason = ARGV[A + 1], ARGV[A + 2]
local ended, out = {}, {}
for i = A + 4, #ARGV do
  local peer = ARGV[i]
  local cur = redis.call('HMGET', K('s', peer), 'node', 'fence')
  if cur[1] then
    tell(cur[1], { 'r', peer, tonumber(cur[2]), why, reason })
    close(peer, ended, out)
  end
end
local reply = { #ended }
for _, v in ipairs(ended) do reply[#reply + 1] = v end
for _, v in ipairs(out) do reply[#reply + 1] = v end
return reply
`,
  // now, batch -> like end
  sweep: `
local now, batch = tonumber(ARGV[A + 1]), tonumber(ARGV[A + 2])
local dead = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', now - NODETTL, 'WITHSCORES')
for i = 1, #dead, 2 do
  -- It stopped beating: its sessions wait for a resume elsewhere, as if their sockets closed.
  local node, beat = dead[i], tonumber(dead[i + 1])
  local expires = beat + NODETTL + SESSTTL
  local ns = P .. 'ns:' .. node
  for _, peer in ipairs(redis.call('SPOP', ns, batch)) do
    local s = K('s', peer)
    if redis.call('HGET', s, 'node') == node then
      redis.call('HSET', s, 'node', '', 'expires', expires)
      redis.call('ZADD', P .. 'detached', expires, peer)
      expireSession(peer, math.max(expires - now, 0) + MARGIN)
    end
  end
  if redis.call('SCARD', ns) == 0 then redis.call('ZREM', P .. 'nodes', node) end
  -- If it was only stalled, its next beat learns it was taken for dead.
  redis.call('SET', P .. 'reaped:' .. node, '1', 'PX', NODETTL + SESSTTL + MARGIN)
end
local ended, out = {}, {}
for _, peer in ipairs(redis.call('ZRANGEBYSCORE', P .. 'detached', '-inf', now, 'LIMIT', 0, batch)) do
  if redis.call('HGET', K('s', peer), 'node') == '' then close(peer, ended, out)
  else redis.call('ZREM', P .. 'detached', peer) end
end
redis.call('ZREMRANGEBYSCORE', P .. 'revoked', '-inf', now)
local reply = { #ended }
for _, v in ipairs(ended) do reply[#reply + 1] = v end
for _, v in ipairs(out) do reply[#reply + 1] = v end
return reply
`,
  // now
  beat: `
redis.call('ZADD', P .. 'nodes', ARGV[A + 1], CALLER)
return 1 - redis.call('DEL', P .. 'reaped:' .. CALLER)
`,
  // peer, until
  revoke: `
local peer = ARGV[A + 1]
redis.call('ZADD', P .. 'revoked', ARGV[A + 2], peer)
local fields = redis.call('HKEYS', K('d', peer))
for _, f in ipairs(fields) do
  if string.sub(f, 1, 1) == 'i' then
    local id = string.sub(f, 2)
    local e = lget(peer, id)
    if e.answered then lremove(peer, id, e) end
  end
end
return 1
`,
  // peer -> 1 | 0
  has: `
return redis.call('EXISTS', K('s', ARGV[A + 1]))
`,
  // -> ids
  ids: `
local ids = {}
for _, peer in ipairs(redis.call('SMEMBERS', P .. 'sessions')) do
  if redis.call('EXISTS', K('s', peer)) == 1 then ids[#ids + 1] = peer
  else redis.call('SREM', P .. 'sessions', peer) end
end
return ids
`,
  // head, bulk ('1'/'0'), room, sender, peer... -> deliveries
  push: `
local head, bulk, room, sender = ARGV[A + 1], ARGV[A + 2] == '1', ARGV[A + 3], ARGV[A + 4]
local out = {}
for i = A + 5, #ARGV do pushOne(ARGV[i], head, bulk, room, sender, out, '') end
return out
`,
  // peer, seq
  ack: `
local peer = ARGV[A + 1]
if redis.call('EXISTS', K('s', peer)) == 1 then ackTo(peer, tonumber(ARGV[A + 2])) end
return 1
`,
  // peer, afterSeq -> seq, text, ...
  read: `
local peer = ARGV[A + 1]
if redis.call('EXISTS', K('s', peer)) == 0 then return {} end
return frames(peer, tonumber(ARGV[A + 2]), {})
`,
  // peer, id, now -> {'run', fence, rerun} | {'wait', until} | {'answer', text}
  claim: `
local peer, id, now = ARGV[A + 1], ARGV[A + 2], tonumber(ARGV[A + 3])
local e = lget(peer, id)
if e and e.answered and e.expires > now then return { 'answer', e.text } end
if e and not e.answered and e.till > now then return { 'wait', e.till } end
if e then lremove(peer, id, e) end
local fence = redis.call('INCR', P .. 'fence')
lset(peer, id, 'R' .. fence .. ':' .. (now + LEASE), ENTRY + #id)
ltrim(peer, now, id)
ledgerTtl(peer)
return { 'run', fence, (e and not e.answered) and 1 or 0 }
`,
  // peer, id, fence, now -> 1 | 0
  renew: `
local peer, id, fence, now = ARGV[A + 1], ARGV[A + 2], tonumber(ARGV[A + 3]), tonumber(ARGV[A + 4])
local e = lget(peer, id)
if not e or e.answered or e.fence ~= fence then return 0 end
redis.call('HSET', K('d', peer), 'i' .. id, 'R' .. fence .. ':' .. (now + LEASE))
ledgerTtl(peer)
return 1
`,
  // peer, id, fence, text, now -> {1, node} | {0}
  finish: `
local peer, id, fence, text, now = ARGV[A + 1], ARGV[A + 2], tonumber(ARGV[A + 3]), ARGV[A + 4], tonumber(ARGV[A + 5])
local e = lget(peer, id)
if not e or e.answered or e.fence ~= fence then return { 0 } end
lremember(peer, id, text, now)
local node = redis.call('HGET', K('s', peer), 'node') or ''
if node ~= CALLER then tell(node, { 'a', peer, text }) end
return { 1, node }
`,
};

/** Scripts by command name, each with the shared library in front. */
export function scriptSources(room: string): Record<string, string> {
  const all: Record<string, string> = { ...body, room };
  return Object.fromEntries(Object.entries(all).map(([name, code]) => [name, LUA_LIB + code]));
}
