--[[
  Notes activity of a device (the registration store, src/lwm2m): only the activity fields and
  the deadline change, so a concurrent Update written by another process is kept.

  Input:
    KEYS[1] device key            <prefix>device:<endpoint>   (JSON record, a string)
    KEYS[2] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)

    ARGV[1] endpoint
    ARGV[2] lastActivityMs
    ARGV[3] lastBearer            'sms' or 'udp'
    ARGV[4] lastUdpActivityMs     or '' when the device was never heard over UDP

  Output:
    1 written, 0 no record (removed meanwhile: nothing is created)

  Activity never goes back: an older time than the stored one changes nothing.
]]
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local record = cjson.decode(stored)
local activityMs = tonumber(ARGV[2])
if type(record.lastActivityMs) ~= 'number' or activityMs > record.lastActivityMs then
  record.lastActivityMs = activityMs
  record.lastBearer = ARGV[3]
end
if ARGV[4] ~= '' then
  local udpMs = tonumber(ARGV[4])
  if type(record.lastUdpActivityMs) ~= 'number' or udpMs > record.lastUdpActivityMs then record.lastUdpActivityMs = udpMs end
end
redis.call('SET', KEYS[1], cjson.encode(record))
redis.call('ZADD', KEYS[2], string.format('%d', record.lastActivityMs + record.lifetimeSec * 1000), ARGV[1])
return 1
