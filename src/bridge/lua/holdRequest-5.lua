--[[
  Holds one request of the core for a device that cannot be reached (the held-request store,
  src/bridge/redis-held-request-store.ts), unless the same request waits already or a bound is
  reached. One atomic step: two gateway processes holding at once never exceed a bound.

  Input:
    KEYS[1] order       <prefix>order:<endpoint>   (list of core Message IDs, arrival order)
    KEYS[2] requests    <prefix>req:<endpoint>     (hash: core Message ID -> serialized request)
    KEYS[3] deadlines   <prefix>deadlines          (sorted set: '<Message ID>:<endpoint>' -> expiresAtMs)
    KEYS[4] total       <prefix>total              (integer: requests held for all devices)
    KEYS[5] in flight   <prefix>inflight           (hash: '<Message ID>:<endpoint>' -> serialized request)

    ARGV[1] endpoint
    ARGV[2] core Message ID (decimal)
    ARGV[3] serialized request (opaque to this script)
    ARGV[4] expiresAtMs
    ARGV[5] maxPerDevice
    ARGV[6] maxTotal

  Output:
    {'held', n}                n = requests of the device waiting now, this one included
    {'duplicate'}              the same (endpoint, Message ID) waits or is in delivery: stored nothing
    {'full', scope, firstMs}   scope 'device' or 'total'; firstMs = the earliest deadline in that
                               scope as a string ('' when none): room frees then at the latest
]]
local messageId = ARGV[2]
if redis.call('HEXISTS', KEYS[2], messageId) == 1 or redis.call('HEXISTS', KEYS[5], messageId .. ':' .. ARGV[1]) == 1 then return {'duplicate'} end
local waiting = redis.call('LLEN', KEYS[1])
if waiting >= tonumber(ARGV[5]) then
  local first = nil
  for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    local score = redis.call('ZSCORE', KEYS[3], id .. ':' .. ARGV[1])
    if score and (first == nil or tonumber(score) < first) then first = tonumber(score) end
  end
  return {'full', 'device', first and string.format('%d', first) or ''}
end
local total = tonumber(redis.call('GET', KEYS[4]) or '0')
if total >= tonumber(ARGV[6]) then
  local earliest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {'full', 'total', earliest[2] or ''}
end
redis.call('RPUSH', KEYS[1], messageId)
redis.call('HSET', KEYS[2], messageId, ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], messageId .. ':' .. ARGV[1])
redis.call('INCR', KEYS[4])
return {'held', waiting + 1}
