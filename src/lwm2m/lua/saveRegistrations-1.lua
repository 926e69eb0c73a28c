--[[
  Writes many whole device records and their indexes in one step (the registration store's
  batch of accepted Registers, src/lwm2m): for each, what saveRegistration-2.lua does in 'put'
  mode for one.

  Input:
    KEYS[1] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            records <prefix>device:<endpoint>, index keys
                                  <prefix>msisdn:<digits> and <prefix>udp:<host>:<port>
    then, per record, two values:
    ARGV[i]   endpoint
    ARGV[i+1] the whole record, JSON (creates or replaces the stored one)

  Output:
    the number of records written

  Rules (as saveRegistration-2.lua): lastActivityMs and lastUdpActivityMs never go back (another
  process may have written a later one); an index key is deleted only while it still names the
  endpoint; the deadline is lastActivityMs + lifetimeSec * 1000.
]]
local prefix = ARGV[1]

local function present(v) return v ~= nil and v ~= cjson.null and v ~= '' end
local function msisdnKey(r) if present(r.msisdn) then return prefix .. 'msisdn:' .. r.msisdn end return nil end
local function udpKey(r)
  if not present(r.udpHost) then return nil end
  local port = r.udpPort
  if not present(port) then port = 0 end
  return prefix .. 'udp:' .. r.udpHost .. ':' .. string.format('%d', port)
end

local written = 0
for i = 2, #ARGV - 1, 2 do
  local endpoint = ARGV[i]
  local deviceKey = prefix .. 'device:' .. endpoint
  local new = cjson.decode(ARGV[i + 1])
  local stored = redis.call('GET', deviceKey)
  if stored then
    local old = cjson.decode(stored)
    for _, k in ipairs({ 'lastActivityMs', 'lastUdpActivityMs' }) do
      if type(old[k]) == 'number' and (type(new[k]) ~= 'number' or new[k] < old[k]) then new[k] = old[k] end
    end
    for _, pair in ipairs({ { msisdnKey(old), msisdnKey(new) }, { udpKey(old), udpKey(new) } }) do
      local oldKey, newKey = pair[1], pair[2]
      if oldKey and oldKey ~= newKey and redis.call('GET', oldKey) == endpoint then redis.call('DEL', oldKey) end
    end
  end
  redis.call('SET', deviceKey, cjson.encode(new))
  local mk, uk = msisdnKey(new), udpKey(new)
  if mk then redis.call('SET', mk, endpoint) end
  if uk then redis.call('SET', uk, endpoint) end
  redis.call('ZADD', KEYS[1], string.format('%d', new.lastActivityMs + new.lifetimeSec * 1000), endpoint)
  written = written + 1
end
return written
