-- Remove a record, unless it changed since the client read it.
--
-- KEYS (RemoveKeys in stores/redis.py, then the buckets):
--   1 doc, 2 keys_z, 3 kept_z, 4 df_key, 5 ndocs_key, 6.. the doc's band buckets
-- ARGV (RemoveArgs): member, seq (the commit seq the client read), then for a kept text
-- counted with max_df (else '', '', ''): text_cells (BITFIELD offsets of its distinct cells),
-- repeat_cells (a repeat's cell per repeat), uncount ('1').
-- Returns 0 if the key is not live, -1 if the record changed since the client read it, else 1.
local member, seq, text_cells, repeat_cells, uncount = unpack(ARGV)
local doc, keys_z, kept_z, df_key, ndocs_key = unpack(KEYS, 1, 5)
local n = call('HGET', doc, 'n')
if not n then return 0 end
if n ~= seq then return -1 end
if uncount == '1' then
  apply(df_key, {{text_cells, -1}, {repeat_cells, -1}})
  call('DECR', ndocs_key)
end
redis.call('DEL', doc)
call('ZREM', keys_z, member)
call('ZREM', kept_z, member)
for i = 6, #KEYS do call('ZREM', KEYS[i], member) end
return 1
