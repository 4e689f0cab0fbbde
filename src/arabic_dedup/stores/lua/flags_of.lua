-- Flags for more cells (the candidates' that the verifier could not rule out by its bound,
-- beyond the text's). Read only; the write script re-checks the answer.
-- KEYS: 1 df_key (P:df), 2 ndocs_key (P:ndocs).
-- ARGV: floor, fraction, cells (BITFIELD offsets, space-separated).
local floor, fraction, cells = unpack(ARGV)
return flags_now(KEYS[1], KEYS[2], tonumber(floor), tonumber(fraction), cells)
