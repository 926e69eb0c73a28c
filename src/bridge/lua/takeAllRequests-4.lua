--[[
  Takes every request of one device (it left: the held-request store,
  src/bridge/redis-held-request-store.ts). One atomic step.

  Input:
    KEYS[1] order       <prefix>order:<endpoint>   (list of core Message IDs, arrival order)
    KEYS[2] requests    <prefix>req:<endpoint>     (hash: core Message ID -> serialized request)
    KEYS[3] deadlines   <prefix>deadlines          (sorted set: '<Message ID>:<endpoint>' -> expiresAtMs)
    KEYS[4] total       <prefix>total              (integer: requests held for all devices)

    ARGV[1] endpoint

  Output:
    serialized requests in arrival order
]]
local out = {}
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local request = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id .. ':' .. ARGV[1])
  if request then
    redis.call('DECR', KEYS[4])
    out[#out + 1] = request
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return out
