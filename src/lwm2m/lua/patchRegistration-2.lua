--[[
  Writes the changed fields of a stored device record, with its deadline, in one step (the
  registration store, src/lwm2m: an Update or a move; whole records go through
  putRegistrations-1.lua).

  Input:
    KEYS[1] device key            <prefix>device:<endpoint>   (JSON record, a string)
    KEYS[2] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] endpoint
    ARGV[2] JSON object           the changed fields only

  Output:
    1 written, 0 no record to patch (nothing is written when the record is gone)

  Rules: lastActivityMs and lastUdpActivityMs never go back (another process may have written a
  later one); the deadline is lastActivityMs + lifetimeSec * 1000 of the merged record.
]]
local endpoint = ARGV[1]
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local old = cjson.decode(stored)
local fields = cjson.decode(ARGV[2])

local new = {}
for k, v in pairs(old) do new[k] = v end
for k, v in pairs(fields) do new[k] = v end
for _, k in ipairs({ 'lastActivityMs', 'lastUdpActivityMs' }) do
  if type(old[k]) == 'number' and (type(new[k]) ~= 'number' or new[k] < old[k]) then new[k] = old[k] end
end

redis.call('SET', KEYS[1], cjson.encode(new))
redis.call('ZADD', KEYS[2], string.format('%d', new.lastActivityMs + new.lifetimeSec * 1000), endpoint)
return 1
