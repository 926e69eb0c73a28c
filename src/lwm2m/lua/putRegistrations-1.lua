--[[
  Writes whole device records in one step (the registration store's puts, src/lwm2m: a batch of
  accepted Registers, or one record alone as a batch of one). The gateway passes, next to each
  record's JSON, the values derived from it, so a record with no stored predecessor (every first
  Register) is written with no JSON work here: its JSON is stored as given. Only a stored
  predecessor is decoded (its activity times).

  Input:
    KEYS[1] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            records <prefix>device:<endpoint>
    then, per record, five values:
    ARGV[i]   endpoint
    ARGV[i+1] the whole record, JSON (creates or replaces the stored one)
    ARGV[i+2] its deadline (ms): lastActivityMs + lifetimeSec * 1000
    ARGV[i+3] its lastActivityMs
    ARGV[i+4] its lastUdpActivityMs, or '' when null

  Output:
    the number of records written

  Rules: lastActivityMs and lastUdpActivityMs never go back (another process may have written a
  later one: the stored time is kept, the record re-encoded with it, and the deadline moved to
  the kept lastActivityMs + lifetimeSec * 1000).
]]
local prefix = ARGV[1]

local function later(storedMs, givenMs) return type(storedMs) == 'number' and (givenMs == nil or givenMs < storedMs) end

local written = 0
for i = 2, #ARGV - 4, 5 do
  local endpoint, json, deadline = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local deviceKey = prefix .. 'device:' .. endpoint
  local stored = redis.call('GET', deviceKey)
  if stored then
    local old = cjson.decode(stored)
    local activityMs, udpMs = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
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
  redis.call('ZADD', KEYS[1], deadline, endpoint)
  written = written + 1
end
return written
