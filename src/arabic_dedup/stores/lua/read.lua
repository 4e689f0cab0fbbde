-- Read what an add (or a query) decides on: the live candidates in the text's band buckets,
-- and whether the text's counting cells are above the boilerplate limit.
--
-- KEYS (ReadKeys in stores/redis.py, then the buckets):
--   1 probe       a doc key whose existence is reported (the key being added)
--   2 df_key      P:df
--   3 ndocs_key   P:ndocs
--   4..           the text's band buckets
-- ARGV (ReadArgs): doc_prefix, floor ('' = no counts), fraction, text_cells (the BITFIELD
-- offsets of the text's distinct cells, space-separated).
-- Returns {sec, usec, exists, flags, member, seq, hashes, facts, member, seq, hashes, facts,
-- ...}; the text's flags only if there are candidates. A candidate whose doc key holds
-- something else than a hash comes back as {member, '!', the error, ''}, one with its seq
-- missing as {member, '', hashes, facts}: the client skips such records with a warning.
local doc_prefix, floor, fraction, text_cells = unpack(ARGV)
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {t[1], t[2], redis.call('EXISTS', KEYS[1]), ''}
local seen = {}
for i = 4, #KEYS do
  local members = call('ZRANGEBYSCORE', KEYS[i], '(' .. string.format('%.6f', now), '+inf')
  for _, m in ipairs(members) do
    if not seen[m] then
      seen[m] = true
      local v = redis.pcall('HMGET', doc_prefix .. m, 'h', 'n', 'f')
      local n = #out
      if v.err then
        out[n + 1], out[n + 2], out[n + 3], out[n + 4] = m, '!', v.err, ''
      elseif v[1] then
        out[n + 1], out[n + 2], out[n + 3], out[n + 4] = m, v[2] or '', v[1], v[3] or ''
      end
    end
  end
end
if floor ~= '' and #out > 4 then
  out[4] = flags_now(KEYS[2], KEYS[3], tonumber(floor), tonumber(fraction), text_cells)
end
return out
