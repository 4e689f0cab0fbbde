-- Write an add's record, atomically, unless what its decision rests on has changed since the
-- read (read.lua): then the client reads and decides again.
--
-- KEYS (WriteKeys in stores/redis.py, then the buckets):
--   1 doc         P:doc:<member>
--   2 keys_z      P:keys
--   3 kept_z      P:kept
--   4 seq_key     P:seq
--   5 df_key      P:df
--   6 ndocs_key   P:ndocs
--   7..           the text's band buckets
-- ARGV (WriteArgs, in this order):
--   member        the key, UTF-8
--   expires_ms    expiry as unix time in ms, 0 = never
--   kind          'k' kept / 'd' duplicate
--   hashes        kept: sorted shingle hashes, little-endian uint32
--   bands         kept: band hashes, little-endian uint64
--   dup_of        duplicate: the kept key it matched
--   similarity    duplicate: its similarity, as a decimal
--   doc_prefix    P:doc:
--   floor         the BoilerplateRule floor ('' = the index counts nothing)
--   fraction      the BoilerplateRule fraction
--   asked_flags   the flags the decision used ('' = none): text_cells' then more_cells'
--   text_cells    BITFIELD offsets, space-separated: the text's distinct cells
--   more_cells    the other cells the decision asked about
--   repeat_cells  a repeat's cell for each hash whose cell an earlier hash of the text has
--   read_members  every candidate member the read returned, each followed by byte 0xFF
--                 (never in UTF-8)
--   facts         kept: its fact fingerprint, little-endian uint32 (empty: facts off)
--   match         duplicate: the fact check's match kind ('' = facts off)
-- Returns -1 if the key is live already, -2 if what the decision rests on has changed since
-- the read — a kept record the read did not see has joined one of the buckets, or a cell the
-- decision asked about has crossed the boilerplate limit — else the commit's seq.
local member, expires_ms, kind, hashes, bands, dup_of, similarity, doc_prefix, floor,
  fraction, asked_flags, text_cells, more_cells, repeat_cells, read_members, facts,
  match = unpack(ARGV)
local doc, keys_z, kept_z, seq_key, df_key, ndocs_key = unpack(KEYS, 1, 6)
if redis.call('EXISTS', doc) == 1 then return -1 end
local at_ms = tonumber(expires_ms)
local t = redis.call('TIME')
local now = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
local seen = {}
for m in string.gmatch(read_members, '([^\255]*)\255') do seen[m] = true end
for i = 7, #KEYS do
  for _, m in ipairs(call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf')) do
    -- A doc key holding something else than a hash: the read reports (and skips) it.
    if not seen[m] and redis.pcall('HEXISTS', doc_prefix .. m, 'h') ~= 0 then return -2 end
  end
end
-- Count the text, and in the same BITFIELD read the counts the decision's flags came from:
-- +1 on each of the text's distinct cells (the answer less one is the count before this
-- text), the other cells asked about as they are, +1 again per repeat. If a flag has changed,
-- take the counts back and refuse.
if floor ~= '' then
  local lim = limit(ndocs_key, tonumber(floor), tonumber(fraction))
  local got, sizes = apply(df_key, {{text_cells, 1}, {more_cells}, {repeat_cells, 1}})
  if asked_flags ~= '' then
    local nt, nc = sizes[1], sizes[2]
    if flags(got, 1, nt, 1, lim) .. flags(got, nt + 1, nt + nc, 0, lim) ~= asked_flags then
      apply(df_key, {{text_cells, -1}, {repeat_cells, -1}})
      return -2
    end
  end
  call('INCR', ndocs_key)
end
local score = '+inf'
if at_ms > 0 then score = string.format('%.3f', at_ms / 1000) end
local seq = call('INCR', seq_key)
call('ZREMRANGEBYSCORE', keys_z, '-inf', now)
call('ZADD', keys_z, score, member)
if kind == 'k' then
  redis.call('HSET', doc, 'n', seq, 's', '1.0', 'h', hashes, 'f', facts, 'b', bands)
  call('ZREMRANGEBYSCORE', kept_z, '-inf', now)
  call('ZADD', kept_z, score, member)
  for i = 7, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    redis.call('ZADD', KEYS[i], score, member)
    -- A bucket lives as long as its longest-lived member.
    if at_ms == 0 then
      redis.call('PERSIST', KEYS[i])
    else
      local top = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
      if top[2] == 'inf' then
        redis.call('PERSIST', KEYS[i])
      else
        redis.call('PEXPIREAT', KEYS[i], math.ceil(tonumber(top[2]) * 1000))
      end
    end
  end
else
  redis.call('HSET', doc, 'n', seq, 's', similarity, 'd', dup_of)
  if match ~= '' then redis.call('HSET', doc, 'm', match) end
end
if at_ms > 0 then redis.call('PEXPIREAT', doc, at_ms) end
return seq
