-- Record the index parameters if the namespace is new; return the stored ones.
-- KEYS: 1 P:meta. ARGV: name, value, name, value, ...
if call('EXISTS', KEYS[1]) == 0 then call('HSET', KEYS[1], unpack(ARGV)) end
return call('HGETALL', KEYS[1])
