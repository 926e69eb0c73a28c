--[[
  Writes whole device records and their indexes in one step (the registration store's puts,
  src/lwm2m: a batch of accepted Registers, or one record alone as a batch of one). The gateway
  passes, next to each record's JSON, the values derived from it, so a record with no stored
  predecessor (every first Register) is written with no JSON work here: its JSON is stored as
  given. Only a stored predecessor is decoded (its index keys, its activity times).

  Input:
    KEYS[1] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            records <prefix>device:<endpoint>, index keys
                                  <prefix>msisdn:<digits> and <prefix>udp:<host>:<port>
    then, per record, seven values:
    ARGV[i]   endpoint
    ARGV[i+1] the whole record, JSON (creates or replaces the stored one)
    ARGV[i+2] its deadline (ms): lastActivityMs + lifetimeSec * 1000
    ARGV[i+3] its msisdn index key  <prefix>msisdn:<msisdn>, or '' when it has no msisdn
    ARGV[i+4] its udp index key     <prefix>udp:<udpHost>:<udpPort or 0>, or '' when no udpHost
    ARGV[i+5] its lastActivityMs
    ARGV[i+6] its lastUdpActivityMs, or '' when null

  Output:
    the number of records written

  Rules: lastActivityMs and lastUdpActivityMs never go back (another process may have written a
  later one: the stored time is kept, the record re-encoded with it, and the deadline moved to
  the kept lastActivityMs + lifetimeSec * 1000); an index key of the stored record that the new
  one does not have is deleted only while it still names the endpoint.
]]
local prefix = ARGV[1]

local function present(v) return v ~= nil and v ~= cjson.null and v ~= '' end
local function msisdnKey(r) if present(r.msisdn) then return prefix .. 'msisdn:' .. r.msisdn end return '' end
local function udpKey(r)
  if not present(r.udpHost) then return '' end
  local port = r.udpPort
  if not present(port) then port = 0 end
  return prefix .. 'udp:' .. r.udpHost .. ':' .. string.format('%d', port)
end
local function later(storedMs, givenMs) return type(storedMs) == 'number' and (givenMs == nil or givenMs < storedMs) end

local written = 0
for i = 2, #ARGV - 6, 7 do
  local endpoint, json, deadline, mk, uk = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local deviceKey = prefix .. 'device:' .. endpoint
  local stored = redis.call('GET', deviceKey)
  if stored then
    local old = cjson.decode(stored)
    for _, pair in ipairs({ { msisdnKey(old), mk }, { udpKey(old), uk } }) do
      local oldKey, newKey = pair[1], pair[2]
      if oldKey ~= '' and oldKey ~= newKey and redis.call('GET', oldKey) == endpoint then redis.call('DEL', oldKey) end
    end
    local activityMs, udpMs = tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6])
    local keepActivity, keepUdp = later(old.lastActivityMs, activityMs), later(old.lastUdpActivityMs, udpMs)
    if keepActivity or keepUdp then
      local new = cjson.decode(json)
      if keepActivity then
        new.lastActivityMs = old.lastActivityMs
        deadline = string.format('%d', tonumber(deadline) - activityMs + old.lastActivityMs)
      end
      if keepUdp then new.lastUdpActivityMs = old.lastUdpActivityMs end
      json = cjson.encode(new)
    end
  end
  redis.call('SET', deviceKey, json)
  if mk ~= '' then redis.call('SET', mk, endpoint) end
  if uk ~= '' then redis.call('SET', uk, endpoint) end
  redis.call('ZADD', KEYS[1], deadline, endpoint)
  written = written + 1
end
return written
