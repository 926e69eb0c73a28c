--[[
  Takes the oldest request of one device that has not expired, for delivery (the held-request
  store, src/bridge/redis-held-request-store.ts); the expired ones it passes are taken too (they
  are answered 5.04, never delivered). One atomic step: a request is taken by one process once.
  The request taken for delivery is kept in the in-flight hash until the holder settles it
  (HDEL by the store's `settle`): a process that dies meanwhile leaves it there for the next one to answer.

  Input:
    KEYS[1] order       <prefix>order:<endpoint>   (list of core Message IDs, arrival order)
    KEYS[2] requests    <prefix>req:<endpoint>     (hash: core Message ID -> serialized request)
    KEYS[3] deadlines   <prefix>deadlines          (sorted set: '<Message ID>:<endpoint>' -> expiresAtMs)
    KEYS[4] total       <prefix>total              (integer: requests held for all devices)
    KEYS[5] in flight   <prefix>inflight           (hash: '<Message ID>:<endpoint>' -> serialized request)

    ARGV[1] endpoint
    ARGV[2] nowMs: a request whose deadline is at or before it has expired

  Output:
    {next, expired1, expired2, ...}   serialized requests; next = '' when none waits unexpired
]]
local nowMs = tonumber(ARGV[2])
local out = {''}
while true do
  local id = redis.call('LPOP', KEYS[1])
  if not id then break end
  local member = id .. ':' .. ARGV[1]
  local deadline = tonumber(redis.call('ZSCORE', KEYS[3], member) or '0')
  local request = redis.call('HGET', KEYS[2], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], member)
  if request then
    redis.call('DECR', KEYS[4])
    if deadline > nowMs then
      out[1] = request
      redis.call('HSET', KEYS[5], member, request)
      break
    end
    out[#out + 1] = request
  end
end
return out
