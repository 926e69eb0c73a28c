--[[
  Removes registrations whose lifetime passed (the registration store's sweeper, src/lwm2m):
  reads the deadlines due, checks each record's own deadline (another process may have written
  later activity), and deletes the lapsed ones, all in one step, so two
  sweepers never report one device twice. Each removed endpoint is also appended to a capped
  stream, so every other gateway process forgets the device from its memory.

  Input:
    KEYS[1] deadlines             <prefix>expiry              (sorted set: endpoint -> deadline ms)
    KEYS[2] lapsed                <prefix>lapsed              (stream: one entry {endpoint} per removal)

    ARGV[1] key prefix            records <prefix>device:<endpoint>, legacy index keys
                                  <prefix>msisdn:<digits> and <prefix>udp:<host>:<port>
    ARGV[2] now (ms)
    ARGV[3] at most this many endpoints per call
    ARGV[4] the lapsed stream's approximate length cap

  Output:
    the removed records (JSON strings); a deadline whose record is gone is dropped silently, and
    one that was stale is moved to the record's own deadline

  Legacy index keys: earlier releases also wrote <prefix>msisdn:<digits> and
  <prefix>udp:<host>:<port> (value: the endpoint); nothing reads or writes them now. The two keys
  a removed record names are deleted while they still name the endpoint (one that names another
  endpoint is left to that endpoint's record), so the lapsed devices of an existing deployment
  lose them too, without a round trip of their own.
]]
local prefix, nowMs, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, limit)
local function present(v) return v ~= nil and v ~= cjson.null and v ~= '' end
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
      if present(record.msisdn) then
        local key = prefix .. 'msisdn:' .. record.msisdn
        if redis.call('GET', key) == endpoint then redis.call('DEL', key) end
      end
      if present(record.udpHost) then
        local port = record.udpPort
        if not present(port) then port = 0 end
        local key = prefix .. 'udp:' .. record.udpHost .. ':' .. string.format('%d', port)
        if redis.call('GET', key) == endpoint then redis.call('DEL', key) end
      end
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'endpoint', endpoint)
      removed[#removed + 1] = stored
    end
  end
end
return removed
