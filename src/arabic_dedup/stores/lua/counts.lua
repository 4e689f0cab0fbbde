-- Helpers shared by the scripts (prepended to each when it is loaded; see stores/redis.py).
--
-- Counting: the client hands the scripts the BITFIELD offsets ("#<cell>") of the counting
-- cells it computed with numpy (DF_CELL_BITS and DF_CELLS live in stores/_base.py only),
-- space-separated in one argument: Lua deriving them from 4-byte hashes cost ~1 us a hash, and
-- redis-py packs each extra argument in ~1 us. limit(...) = max(floor, fraction * documents
-- seen), as BoilerplateRule says; apply(...) runs BITFIELD operations over offset lists; flags(...)
-- tells which counts are above the limit.

-- A command on one key of the index. An error (WRONGTYPE: something else was written under
-- the key) comes back naming the key, which the client raises as IndexCorruptError; a server
-- out of memory (OOM, refused at the script's first write, so nothing was written) comes back
-- as the server said it, which the client raises as IndexFullError.
local function call(cmd, key, ...)
  local r = redis.pcall(cmd, key, ...)
  if type(r) == 'table' and r.err then
    if string.sub(r.err, 1, 3) == 'OOM' then error(r) end
    error({err = 'ARABIC_DEDUP_CORRUPT key ' .. key .. ': ' .. r.err})
  end
  return r
end

local function limit(nkey, floor, fraction)
  local raw = call('GET', nkey) or '0'
  local n = tonumber(raw)
  if not n then
    error({err = 'ARABIC_DEDUP_CORRUPT key ' .. nkey .. ': holds ' .. string.format('%q', raw) ..
      ', not a document count'})
  end
  return math.max(floor, fraction * n)
end

-- plan: {{offsets, step}, {offsets}, ...}: INCRBY step (or GET, without a step) at each
-- space-separated offset, in order, 1,000 operations to a BITFIELD call. Returns the answers
-- in order, and how many each entry of the plan had.
local function apply(dfkey, plan)
  local got, n, sizes = {}, 0, {}
  local args, k = {'OVERFLOW', 'SAT'}, 2
  local function flush()
    for _, v in ipairs(call('BITFIELD', dfkey, unpack(args))) do
      n = n + 1
      got[n] = v
    end
    args, k = {'OVERFLOW', 'SAT'}, 2
  end
  for i, p in ipairs(plan) do
    sizes[i] = 0
    local step = p[2]
    for f in string.gmatch(p[1], '%S+') do
      sizes[i] = sizes[i] + 1
      if step then
        args[k + 1], args[k + 2], args[k + 3], args[k + 4] = 'INCRBY', 'u32', f, step
        k = k + 4
      else
        args[k + 1], args[k + 2], args[k + 3] = 'GET', 'u32', f
        k = k + 3
      end
      if k >= 3000 then flush() end
    end
  end
  if k > 2 then flush() end
  return got, sizes
end

-- Whether each count in got[first..last], less ``less``, is above the limit: '0'/'1' each.
local function flags(got, first, last, less, lim)
  local out = {}
  for j = first, last do
    if got[j] - less > lim then out[j - first + 1] = '1' else out[j - first + 1] = '0' end
  end
  return table.concat(out)
end

-- The flags of the counts at some offsets, read as they are now.
local function flags_now(dfkey, nkey, floor, fraction, offsets)
  local lim = limit(nkey, floor, fraction)
  local got = apply(dfkey, {{offsets}})
  return flags(got, 1, #got, 0, lim)
end
