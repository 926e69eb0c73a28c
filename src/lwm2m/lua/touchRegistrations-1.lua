--[[
  Notes the activity of many devices in one call (the registration writer's batch, src/lwm2m):
  for each, as touchRegistration-2.lua does for one: only the activity fields and the deadline
  change, so a concurrent Update written by another process is kept.

  Input:
    KEYS[1] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] key prefix            records <prefix>device:<endpoint>
    then, per device, four values:
    ARGV[i]   endpoint
    ARGV[i+1] lastActivityMs
    ARGV[i+2] lastBearer          'sms' or 'udp'
    ARGV[i+3] lastUdpActivityMs   or '' when the device was never heard over UDP

  Output:
    the number of records written; a device whose record is gone (removed meanwhile) is skipped,
    nothing is created for it

  Activity never goes back: an older time than the stored one changes nothing.
]]
local prefix = ARGV[1]
local written = 0
for i = 2, #ARGV - 3, 4 do
  local deviceKey = prefix .. 'device:' .. ARGV[i]
  local stored = redis.call('GET', deviceKey)
  if stored then
    local record = cjson.decode(stored)
    local activityMs = tonumber(ARGV[i + 1])
    if type(record.lastActivityMs) ~= 'number' or activityMs > record.lastActivityMs then
      record.lastActivityMs = activityMs
      record.lastBearer = ARGV[i + 2]
    end
    if ARGV[i + 3] ~= '' then
      local udpMs = tonumber(ARGV[i + 3])
      if type(record.lastUdpActivityMs) ~= 'number' or udpMs > record.lastUdpActivityMs then record.lastUdpActivityMs = udpMs end
    end
    redis.call('SET', deviceKey, cjson.encode(record))
    redis.call('ZADD', KEYS[1], string.format('%d', record.lastActivityMs + record.lifetimeSec * 1000), ARGV[i])
    written = written + 1
  end
end
return written
