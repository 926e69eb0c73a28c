--[[
  Takes every request that was taken for delivery and never settled: the gateway process that
  delivered it stopped or died before the device's answer (the held-request store,
  src/bridge/redis-held-request-store.ts). Read at start-up; one atomic step.

  Input:
    KEYS[1] in flight   <prefix>inflight           (hash: '<Message ID>:<endpoint>' -> serialized request)

  Output:
    serialized requests (any order)
]]
local entries = redis.call('HVALS', KEYS[1])
redis.call('DEL', KEYS[1])
return entries
