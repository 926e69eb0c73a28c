--[[
  Writes the changed fields of a stored device record, with its deadline, in one step (the
  registration store, src/lwm2m: an Update or a move; whole records go through
  putRegistrations-1.lua).

  Input:
    KEYS[1] device key            <prefix>device:<endpoint>   (JSON record, a string)
    KEYS[2] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            legacy index keys <prefix>msisdn:<digits> and <prefix>udp:<host>:<port>
    ARGV[2] endpoint
    ARGV[3] JSON object           the changed fields only

  Output:
    1 written, 0 no record to patch (nothing is written when the record is gone)

  Rules: lastActivityMs and lastUdpActivityMs never go back (another process may have written a
  later one); the deadline is lastActivityMs + lifetimeSec * 1000 of the merged record.

  Legacy index keys: earlier releases also wrote <prefix>msisdn:<digits> and
  <prefix>udp:<host>:<port> (value: the endpoint); nothing reads or writes them now. The two keys
  the stored record names are deleted while they still name the endpoint (one that names another
  endpoint is left to that endpoint's record), so existing deployments lose them as devices send
  Updates, without a round trip of their own.
]]
local prefix, endpoint = ARGV[1], ARGV[2]
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local old = cjson.decode(stored)
local fields = cjson.decode(ARGV[3])

local function present(v) return v ~= nil and v ~= cjson.null and v ~= '' end
local legacyKeys = {}
if present(old.msisdn) then legacyKeys[#legacyKeys + 1] = prefix .. 'msisdn:' .. old.msisdn end
if present(old.udpHost) then
  local port = old.udpPort
  if not present(port) then port = 0 end
  legacyKeys[#legacyKeys + 1] = prefix .. 'udp:' .. old.udpHost .. ':' .. string.format('%d', port)
end
for _, key in ipairs(legacyKeys) do
  if redis.call('GET', key) == endpoint then redis.call('DEL', key) end
end

local new = {}
for k, v in pairs(old) do new[k] = v end
for k, v in pairs(fields) do new[k] = v end
for _, k in ipairs({ 'lastActivityMs', 'lastUdpActivityMs' }) do
  if type(old[k]) == 'number' and (type(new[k]) ~= 'number' or new[k] < old[k]) then new[k] = old[k] end
end

redis.call('SET', KEYS[1], cjson.encode(new))
redis.call('ZADD', KEYS[2], string.format('%d', new.lastActivityMs + new.lifetimeSec * 1000), endpoint)
return 1
