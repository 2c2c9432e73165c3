// Lua for a session's numbered notifications, as src/server/outbox.ts keeps them: bounded
// in count and bytes; on overflow broadcasts go first, then, within a class, the oldest of
// the sender holding the most (by the limit that overflowed; on a tie, the sender holding
// the oldest), so one sender's flood evicts its own notifications; the newest
// non-broadcast always stays. Part of LUA_LIB (uses K, tell, lostAdd, followSession).
//
// Keys: q (zset of seqs), qb (zset of broadcast seqs), n (hash: seq -> head, r<seq> -> room,
// l<seq> -> lane), ln (hash: c<lane> -> count, b<lane> -> bytes), lx (zset, score 0:
// '<lane>\n<seq, 15 digits>', so a lane's oldest is its first member by lex order). A lane
// is 'b' or 's' (broadcast or not) followed by the sender's id.

export const LUA_OUTBOX = `
local function suffix(seq) return ',"seq":' .. seq .. '}' end
local function laneMember(lane, seq) return lane .. '\\n' .. string.format('%015d', seq) end

-- The oldest seq of a lane.
local function laneOldest(peer, lane)
  local first = redis.call('ZRANGEBYLEX', K('lx', peer), '[' .. lane .. '\\n', '(' .. lane .. '\\11', 'LIMIT', 0, 1)[1]
  return tonumber(string.sub(first, #lane + 2))
end

-- Forget one stored notification; returns its bytes and room ('' for none).
local function release(peer, seq)
  local n, ln = K('n', peer), K('ln', peer)
  local got = redis.call('HMGET', n, seq, 'r' .. seq, 'l' .. seq)
  redis.call('HDEL', n, seq, 'r' .. seq, 'l' .. seq)
  redis.call('ZREM', K('q', peer), seq)
  redis.call('ZREM', K('qb', peer), seq)
  local bytes, lane = #(got[1] or '') + #suffix(seq), got[3] or 's'
  redis.call('ZREM', K('lx', peer), laneMember(lane, seq))
  if redis.call('HINCRBY', ln, 'c' .. lane, -1) <= 0 then redis.call('HDEL', ln, 'c' .. lane, 'b' .. lane)
  else redis.call('HINCRBY', ln, 'b' .. lane, -bytes) end
  return bytes, got[2] or ''
end

-- Which seq to drop (see the top of this file), or nil.
local function victim(peer, byCount, newest)
  local bulk = redis.call('ZCARD', K('qb', peer)) > 0
  local class = bulk and 'b' or 's'
  local fields = redis.call('HGETALL', K('ln', peer))
  local sizes = {}
  for i = 1, #fields, 2 do sizes[fields[i]] = tonumber(fields[i + 1]) end
  local worst, worstSize, worstOldest
  for i = 1, #fields, 2 do
    local f = fields[i]
    if string.sub(f, 1, 1) == 'c' and string.sub(f, 2, 2) == class then
      local lane = string.sub(f, 2)
      local count = tonumber(fields[i + 1])
      local size = byCount and count or sizes['b' .. lane]
      local oldest
      if not bulk and count == 1 then
        oldest = laneOldest(peer, lane)
        if oldest == newest then size = nil end
      end
      if size then
        if worst == nil or size > worstSize then
          worst, worstSize, worstOldest = lane, size, oldest
        elseif size == worstSize then
          worstOldest = worstOldest or laneOldest(peer, worst)
          oldest = oldest or laneOldest(peer, lane)
          if oldest < worstOldest then worst, worstSize, worstOldest = lane, size, oldest end
        end
      end
    end
  end
  if worst == nil then return nil end
  local seq = worstOldest or laneOldest(peer, worst)
  if not bulk and seq == newest then return nil end
  return seq
end

-- Number a notification for peer (if its session exists) and append the delivery
-- {peer, node, seq, dropped, overflow, head} to out.
local function pushOne(peer, head, bulk, room, sender, out, outHead)
  local s = K('s', peer)
  local node = redis.call('HGET', s, 'node')
  if not node then return end
  local seq = redis.call('HINCRBY', s, 'seq', 1)
  local bytes = #head + #suffix(seq)
  local lane = (bulk and 'b' or 's') .. sender
  local n, ln = K('n', peer), K('ln', peer)
  if room ~= '' then redis.call('HSET', n, seq, head, 'l' .. seq, lane, 'r' .. seq, room)
  else redis.call('HSET', n, seq, head, 'l' .. seq, lane) end
  redis.call('ZADD', K('q', peer), seq, seq)
  if bulk then redis.call('ZADD', K('qb', peer), seq, seq) end
  redis.call('ZADD', K('lx', peer), 0, laneMember(lane, seq))
  redis.call('HINCRBY', ln, 'c' .. lane, 1)
  redis.call('HINCRBY', ln, 'b' .. lane, bytes)
  local total = redis.call('HINCRBY', s, 'bytes', bytes)
  local count = redis.call('ZCARD', K('q', peer))
  local dropped, overflow = 0, ''
  while count > 1 do
    if count > MAXN then overflow = 'count' elseif total > MAXB then overflow = 'bytes' else break end
    local old = victim(peer, overflow == 'count', seq)
    if not old then break end
    local freed, vroom = release(peer, old)
    total = redis.call('HINCRBY', s, 'bytes', -freed)
    count = count - 1
    lostAdd(peer, old, vroom)
    dropped = dropped + 1
  end
  if dropped == 0 then overflow = '' end
  if node == '' then followSession(peer, { 'q', 'qb', 'n', 'ln', 'lx', 'l', 'lf' }) end
  if node ~= CALLER then tell(node, { 'n', peer, seq, head .. suffix(seq) }) end
  local i = #out
  out[i + 1], out[i + 2], out[i + 3], out[i + 4], out[i + 5], out[i + 6] = peer, node, seq, dropped, overflow, outHead
end

-- Unacknowledged notifications after seq, appended to out as seq, text pairs.
local function frames(peer, after, out)
  local seqs = redis.call('ZRANGEBYSCORE', K('q', peer), '(' .. after, '+inf')
  for i = 1, #seqs, 500 do
    local batch = { unpack(seqs, i, math.min(i + 499, #seqs)) }
    local heads = redis.call('HMGET', K('n', peer), unpack(batch))
    for j, seq in ipairs(batch) do
      out[#out + 1] = tonumber(seq)
      out[#out + 1] = heads[j] .. suffix(seq)
    end
  end
  return out
end

-- Forget every notification up to seq, and the drops the client had live.
local function ackTo(peer, seq)
  local s = K('s', peer)
  local seqs = redis.call('ZRANGEBYSCORE', K('q', peer), '-inf', seq)
  local freed = 0
  for _, old in ipairs(seqs) do freed = freed + release(peer, tonumber(old)) end
  if freed > 0 then redis.call('HINCRBY', s, 'bytes', -freed) end
  redis.call('ZREMRANGEBYSCORE', K('l', peer), '-inf', seq)
end
`;
