--[[
  Removes registrations whose lifetime passed (the registration store's sweeper, src/lwm2m):
  reads the deadlines due, checks each record's own deadline (another process may have written
  later activity), and deletes the lapsed ones, all in one step, so two
  sweepers never report one device twice. Each removed endpoint is also appended to a capped
  stream, so every other gateway process forgets the device from its memory.

  Input:
    KEYS[1] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)
    KEYS[2] lapsed                <prefix>lapsed              (stream: one entry {endpoint} per removal)

    ARGV[1] key prefix            records <prefix>device:<endpoint>
    ARGV[2] now (ms)
    ARGV[3] at most this many endpoints per call
    ARGV[4] the lapsed stream's approximate length cap

  Output:
    the removed records (JSON strings); a deadline whose record is gone is dropped silently, and
    one that was stale is moved to the record's own deadline
]]
local prefix, nowMs, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, limit)
local removed = {}
for _, endpoint in ipairs(due) do
  local deviceKey = prefix .. 'device:' .. endpoint
  local stored = redis.call('GET', deviceKey)
  if not stored then
    redis.call('ZREM', KEYS[1], endpoint)
  else
    local record = cjson.decode(stored)
    local deadlineMs = record.lastActivityMs + record.lifetimeSec * 1000
    if deadlineMs > nowMs then
      redis.call('ZADD', KEYS[1], string.format('%d', deadlineMs), endpoint)
    else
      redis.call('DEL', deviceKey)
      redis.call('ZREM', KEYS[1], endpoint)
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'endpoint', endpoint)
      removed[#removed + 1] = stored
    end
  end
end
return removed
