-- Record the index parameters if the namespace is new; return the stored ones.
-- KEYS: 1 P:meta, 2 P:seq. ARGV: name, value, name, value, ...
-- A namespace that has written records (P:seq) but has no parameters lost them (deleted, or
-- evicted): it returns the one field LOST_META instead, and the client refuses to open it.
if call('EXISTS', KEYS[1]) == 0 then
  if call('EXISTS', KEYS[2]) == 1 then return {'ARABIC_DEDUP_LOST_META'} end
  call('HSET', KEYS[1], unpack(ARGV))
end
return call('HGETALL', KEYS[1])
