--[[
  Takes up to `limit` requests of any device whose hold expired (the held-request store,
  src/bridge/redis-held-request-store.ts): they are answered 5.04 and never delivered. One
  atomic step: whichever process sweeps, each expired request is taken once.

  Input:
    KEYS[1] deadlines   <prefix>deadlines          (sorted set: '<Message ID>:<endpoint>' -> expiresAtMs)
    KEYS[2] total       <prefix>total              (integer: requests held for all devices)

    ARGV[1] prefix      the per-device keys are <prefix>order:<endpoint> and <prefix>req:<endpoint>
    ARGV[2] nowMs       a request whose deadline is at or before it has expired
    ARGV[3] limit       most requests taken by one run (Redis stays responsive)

  Output:
    serialized requests, earliest deadline first
]]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, member in ipairs(members) do
  local colon = string.find(member, ':', 1, true)
  local id = string.sub(member, 1, colon - 1)
  local endpoint = string.sub(member, colon + 1)
  local requestsKey = ARGV[1] .. 'req:' .. endpoint
  local request = redis.call('HGET', requestsKey, id)
  redis.call('ZREM', KEYS[1], member)
  redis.call('LREM', ARGV[1] .. 'order:' .. endpoint, 1, id)
  if request then
    redis.call('HDEL', requestsKey, id)
    redis.call('DECR', KEYS[2])
    out[#out + 1] = request
  end
end
return out
