-- Malformed and unusual arrays of shares, read in place by the combine
-- functions, and the aggregate's support functions as an analyst can reach them.
SET search_path = ciam_privacy, public;

-- Lower bounds other than 1 change nothing: the shares at x = 1 and 3 of
-- f(x) = 0x00 + 0x57 x are 0x57 and 0x57 * 3 = 0xf9
SELECT shamir_combine('[0:1]={"\\x5701","\\xf903"}'::bytea[]) AS lower_bound_0,
       shamir_combine('[-5:-4]={"\\x5701","\\xf903"}'::bytea[]) AS lower_bound_minus_5;
SELECT shamir_combine_int(s[2:3]) = 42 AS int_slice,
       shamir_combine_int(('[7:9]={"' || array_to_string(s, '","') || '"}')::shamir_int_share[])
           = 42 AS int_lower_bound_7
FROM (SELECT shamir_share_int(42, 2, 3) AS s) q;

-- Every element is read at its own offset: secrets of 1 to 40 bytes, each
-- split into 9 to 17 shares and combined from all of them
SELECT bool_and(shamir_combine(shamir_share(secret, threshold, threshold)) = secret) AS rebuilt
FROM (SELECT decode(substr(repeat(md5(l::text), 3), 1, 2 * l), 'hex') AS secret,
             threshold
      FROM generate_series(1, 40) l, generate_series(9, 17) threshold) cases;

-- 255 shares, the maximum, and then one more
SELECT shamir_combine(shamir_share('\xc0ffee'::bytea, 255, 255)) AS all_255;
SELECT shamir_combine(shamir_share('\xc0ffee'::bytea, 2, 255) || '\x000001'::bytea);

-- A NULL is reported at its position in the NULL bitmap, beyond the first
-- byte of it too, before any count check
SELECT shamir_combine(array_append(shamir_share('\x01'::bytea, 2, 9), NULL));
SELECT shamir_combine(array_prepend(NULL, shamir_share('\x01'::bytea, 2, 16)));
SELECT shamir_combine(ARRAY[NULL]::bytea[]);
SELECT shamir_combine_int(array_append(shamir_share_int(1, 2, 12), NULL));
-- a length that differs only in the last share, and a repeated x far apart
SELECT shamir_combine(shamir_share('\x0102'::bytea, 2, 11) || '\x01020304'::bytea);
SELECT shamir_combine(ARRAY(SELECT '\x01'::bytea || set_byte('\x00', 0, g)
                            FROM generate_series(1, 11) g) || '\x0105'::bytea);
-- empty and two-dimensional integer arrays
SELECT shamir_combine_int('{}'::shamir_int_share[]);
SELECT shamir_combine_int('[0:0]={"(1,2,5)"}'::shamir_int_share[]);
SELECT shamir_combine_int(ARRAY[['(1,2,5)'], ['(2,2,7)']]::shamir_int_share[]);

-- The support functions of shamir_sum take or return internal, so SQL
-- cannot call them. Only a superuser may create an aggregate with an
-- internal state, so an analyst cannot feed crafted bytes to the
-- deserialize function through an aggregate of their own either.
CREATE ROLE regress_shamir_attacker;
CREATE SCHEMA regress_attacker AUTHORIZATION regress_shamir_attacker;
GRANT USAGE ON SCHEMA ciam_privacy TO regress_shamir_attacker;
SET ROLE regress_shamir_attacker;
SET search_path = regress_attacker, ciam_privacy;
SELECT shamir_sum_deserialize('\x0101020000000000000000000000000000000005'::bytea, NULL);
SELECT shamir_sum_transfn(NULL, '(1,2,5)'::shamir_int_share);
SELECT shamir_sum_serialize(NULL::internal);
CREATE AGGREGATE regress_attacker.my_sum(shamir_int_share) (
    SFUNC = shamir_sum_transfn, STYPE = internal, FINALFUNC = shamir_sum_serialize);
CREATE AGGREGATE regress_attacker.from_bytes(bytea) (
    SFUNC = shamir_sum_deserialize, STYPE = internal, FINALFUNC = shamir_sum_finalfn);
SELECT shamir_combine_int('{"(1,2,5)","(2,2,7)"}'::shamir_int_share[]);
RESET ROLE;
SET search_path = ciam_privacy, public;
DROP SCHEMA regress_attacker CASCADE;
REVOKE USAGE ON SCHEMA ciam_privacy FROM regress_shamir_attacker;
DROP ROLE regress_shamir_attacker;
