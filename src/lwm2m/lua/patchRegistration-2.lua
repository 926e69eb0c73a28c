--[[
  Writes the changed fields of a stored device record, with its indexes and deadline, in one step
  (the registration store, src/lwm2m: an Update or a move; whole records go through
  putRegistrations-1.lua).

  Input:
    KEYS[1] device key            <prefix>device:<endpoint>   (JSON record, a string)
    KEYS[2] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            index keys <prefix>msisdn:<digits> and <prefix>udp:<host>:<port>
    ARGV[2] endpoint
    ARGV[3] JSON object           the changed fields only

  Output:
    1 written, 0 no record to patch (nothing is written when the record is gone)

  Rules: lastActivityMs and lastUdpActivityMs never go back (another process may have written a
  later one); an index key is deleted only while it still names this endpoint; the deadline is
  lastActivityMs + lifetimeSec * 1000 of the merged record.
]]
local prefix, endpoint = ARGV[1], ARGV[2]
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local old = cjson.decode(stored)
local fields = cjson.decode(ARGV[3])

local new = {}
for k, v in pairs(old) do new[k] = v end
for k, v in pairs(fields) do new[k] = v end
for _, k in ipairs({ 'lastActivityMs', 'lastUdpActivityMs' }) do
  if type(old[k]) == 'number' and (type(new[k]) ~= 'number' or new[k] < old[k]) then new[k] = old[k] end
end

local function present(v) return v ~= nil and v ~= cjson.null and v ~= '' end
local function msisdnKey(r) if present(r.msisdn) then return prefix .. 'msisdn:' .. r.msisdn end return nil end
local function udpKey(r)
  if not present(r.udpHost) then return nil end
  local port = r.udpPort
  if not present(port) then port = 0 end
  return prefix .. 'udp:' .. r.udpHost .. ':' .. string.format('%d', port)
end
local function dropIndex(oldKey, newKey)
  if oldKey and oldKey ~= newKey and redis.call('GET', oldKey) == endpoint then redis.call('DEL', oldKey) end
end

dropIndex(msisdnKey(old), msisdnKey(new))
dropIndex(udpKey(old), udpKey(new))
redis.call('SET', KEYS[1], cjson.encode(new))
local mk, uk = msisdnKey(new), udpKey(new)
if mk then redis.call('SET', mk, endpoint) end
if uk then redis.call('SET', uk, endpoint) end
redis.call('ZADD', KEYS[2], string.format('%d', new.lastActivityMs + new.lifetimeSec * 1000), endpoint)
return 1
