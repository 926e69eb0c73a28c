--[[
  Deletes a device record and its deadline in one step (the registration store, src/lwm2m).

  Input:
    KEYS[1] device key            <prefix>device:<endpoint>   (JSON record, a string)
    KEYS[2] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] endpoint

  Output:
    the removed record (JSON), or false when there was none
]]
local stored = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return stored
