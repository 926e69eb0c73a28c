--[[
  Deletes a device record, its deadline and its indexes in one step (the registration store,
  src/lwm2m).

  Input:
    KEYS[1] device key            <prefix>device:<endpoint>   (JSON record, a string)
    KEYS[2] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            index keys <prefix>msisdn:<digits> and <prefix>udp:<host>:<port>
    ARGV[2] endpoint

  Output:
    the removed record (JSON), or false when there was none

  An index key is deleted only while it still names this endpoint.
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
