// The room script: join, leave, signal or broadcast, run once per request id, the answer
// recorded in the ledger in the same atomic step. Rooms: hash r:<room> (peer -> member
// JSON), zset ro:<room> (peer by join order), set m:<peer> (the peer's rooms).
//
// ARGV after the common ones: op, peer, request id, room, now, note head, bulk ('1'/'0'),
// note room, answer, answer tail (join: the frame is answer .. members .. tail), extra
// (join: the member JSON; signal: the target), note sender.
// -> {'a', answer, delivery...} | {'x', refusal}

export const ROOM_SCRIPT = `
local op, peer, id, room, now = ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], ARGV[A + 4], tonumber(ARGV[A + 5])
local head, bulk, noteRoom = ARGV[A + 6], ARGV[A + 7] == '1', ARGV[A + 8]
local answer, tail, extra, sender = ARGV[A + 9], ARGV[A + 10], ARGV[A + 11], ARGV[A + 12]
local cached = lanswer(peer, id, now)
if cached then return { 'a', cached } end
if redis.call('EXISTS', K('s', peer)) == 0 then return { 'x', 'gone' } end
local r, ro = K('r', room), K('ro', room)
local out = { 'a', '' }
-- Members in join order. A member whose session keys expired without a sweep ending it
-- (every node down for longer than the keys' margin) is a ghost: it leaves now, and the
-- others get its peer-left, hinted to every holder (the caller too: a refusal returns none).
local function live()
  local ids, alive = redis.call('ZRANGE', ro, 0, -1), {}
  for _, other in ipairs(ids) do
    if redis.call('EXISTS', K('s', other)) == 1 then alive[#alive + 1] = other
    else
      leaveRoom(other, room)
      local left = '{"type":"notification","method":"peer-left","data":{"room":' .. cjson.encode(room) ..
        ',"peerId":' .. cjson.encode(other) .. ',"reason":"session-end"}'
      local told = {}
      for _, rest in ipairs(redis.call('ZRANGE', ro, 0, -1)) do pushOne(rest, left, false, room, other, told, '') end
      for i = 1, #told, 6 do
        if told[i + 1] == CALLER then tell(CALLER, { 'n', told[i], told[i + 2], left .. suffix(told[i + 2]) }) end
      end
    end
  end
  return alive
end
local ids = live()
local member = redis.call('HEXISTS', r, peer) == 1
local function pushAll(ids)
  for _, other in ipairs(ids) do
    if other ~= peer then pushOne(other, head, bulk, noteRoom, sender, out, '') end
  end
end
if op == 'join' then
  local others = {}
  for _, other in ipairs(ids) do
    if other ~= peer then others[#others + 1] = redis.call('HGET', r, other) end
  end
  answer = answer .. table.concat(others, ',') .. tail
  if not member then
    if redis.call('SCARD', K('m', peer)) >= MAXROOMS then return { 'x', 'too-many-rooms' } end
    if #ids >= MAXPEERS then return { 'x', 'room-full' } end
    pushAll(ids)
    redis.call('HSET', r, peer, extra)
    redis.call('ZADD', ro, redis.call('INCR', P .. 'joins'), peer)
    redis.call('SADD', K('m', peer), room)
  end
elseif op == 'leave' then
  if member then
    leaveRoom(peer, room)
    pushAll(ids)
  end
elseif op == 'signal' then
  if not member then return { 'x', 'not-joined' } end
  if redis.call('HEXISTS', r, extra) == 0 then return { 'x', 'not-in-room' } end
  pushOne(extra, head, bulk, noteRoom, sender, out, '')
elseif op == 'broadcast' then
  if not member then return { 'x', 'not-joined' } end
  pushAll(ids)
else
  return redis.error_reply('RESIGNAL_OP unknown room op ' .. op)
end
out[2] = answer
lremember(peer, id, answer, now)
return out
`;
