--[[
  Deletes a device record and its deadline in one step (the registration store, src/lwm2m).

  Input:
    KEYS[1] device key            <prefix>device:<endpoint>   (JSON record, a string)
    KEYS[2] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            legacy index keys <prefix>msisdn:<digits> and <prefix>udp:<host>:<port>
    ARGV[2] endpoint

  Output:
    the removed record (JSON), or false when there was none

  Legacy index keys: earlier releases also wrote <prefix>msisdn:<digits> and
  <prefix>udp:<host>:<port> (value: the endpoint); nothing reads or writes them now. The two keys
  the removed record names are deleted while they still name the endpoint (one that names another
  endpoint is left to that endpoint's record), without a round trip of their own.
]]
local prefix, endpoint = ARGV[1], ARGV[2]
local stored = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], endpoint)
if not stored then return false end
local record = cjson.decode(stored)
local function present(v) return v ~= nil and v ~= cjson.null and v ~= '' end
local keys = {}
if present(record.msisdn) then keys[#keys + 1] = prefix .. 'msisdn:' .. record.msisdn end
if present(record.udpHost) then
  local port = record.udpPort
  if not present(port) then port = 0 end
  keys[#keys + 1] = prefix .. 'udp:' .. record.udpHost .. ':' .. string.format('%d', port)
end
for _, key in ipairs(keys) do
  if redis.call('GET', key) == endpoint then redis.call('DEL', key) end
end
return stored
