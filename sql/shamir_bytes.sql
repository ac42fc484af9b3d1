-- Shamir shares of byte strings, in HashiCorp Vault's format: y bytes, then
-- x. Round trips, known-answer tests, argument checks and the distribution
-- of shares.
SET search_path = ciam_privacy, public;

-- Known-answer tests. By long multiplication of binary polynomials modulo
-- 0x11B, worked out apart from this code, 0x57 * 0x83 = 0xc1. For
-- f(x) = 0x00 + 0x57 x, the shares at x = 0x01 and x = 0x83 are 0x57 and 0xc1.
SELECT shamir_combine(ARRAY['\x5701', '\xc183']::bytea[]) AS zero_secret;
-- and 0x57 * 0x13 = 0xfe: for f(x) = 0x01 + 0x57 x, the shares at x = 0x13
-- and x = 0x01 are 0xff and 0x56
SELECT shamir_combine(ARRAY['\xff13', '\x5601']::bytea[]) AS secret_01;

-- Every 3 of 5 shares rebuild the secret, in any order; zero bytes at both
-- ends survive
CREATE TEMP TABLE byte_shares AS
SELECT shamir_share('\x0000c0ffee0000'::bytea, 3, 5) AS shares;
SELECT count(*) AS subsets,
       count(*) FILTER (WHERE shamir_combine(ARRAY[shares[a], shares[b], shares[c]])
                              = '\x0000c0ffee0000') AS rebuilt,
       count(*) FILTER (WHERE shamir_combine(ARRAY[shares[c], shares[a], shares[b]])
                              = '\x0000c0ffee0000') AS rebuilt_reordered
FROM byte_shares,
     generate_series(1, 5) a, generate_series(1, 5) b, generate_series(1, 5) c
WHERE a < b AND b < c;
-- four and five shares rebuild it too
SELECT shamir_combine(shares[2:5]) AS four, shamir_combine(shares) AS five
FROM byte_shares;
-- Two shares give a wrong value: equal by chance with probability 256^-7
SELECT shamir_combine(shares[1:2]) <> '\x0000c0ffee0000' AS two_shares_wrong
FROM byte_shares;

-- Lengths around the 8-byte lanes, thresholds up to 255
SELECT length, threshold, shares,
       shamir_combine((shamir_share(secret, threshold, shares))[1:threshold]) = secret AS rebuilt
FROM (SELECT length, threshold, shares,
             decode(repeat('00', 1) || substr(repeat(md5(length::text), 80), 1, 2 * length - 4)
                    || repeat('00', 1), 'hex') AS secret
      FROM unnest('{2,7,8,9,16,17,1000}'::int[]) AS l(length),
           unnest('{2,2,3,255}'::int[], '{2,255,5,255}'::int[]) AS p(threshold, shares)) AS cases
ORDER BY length, threshold, shares;
SELECT shamir_combine(shamir_share('\x00'::bytea, 2, 2)) AS single_zero_byte,
       shamir_combine(shamir_share('\xff'::bytea, 2, 3)) AS single_ff_byte;

-- Shape of the shares: n shares, each one byte longer than the secret,
-- distinct non-zero x values in the last byte
SELECT count(*) AS shares,
       count(DISTINCT get_byte(s, length(s) - 1)) AS distinct_x,
       min(get_byte(s, length(s) - 1)) > 0 AS x_non_zero,
       min(length(s)) AS min_length, max(length(s)) AS max_length
FROM unnest(shamir_share('\x0102030405'::bytea, 2, 255)) AS s;

-- Argument checks
SELECT shamir_share('\x01'::bytea, 1, 3);
SELECT shamir_share('\x01'::bytea, 0, 3);
SELECT shamir_share('\x01'::bytea, -1, 3);
SELECT shamir_share('\x01'::bytea, 4, 3);
SELECT shamir_share('\x01'::bytea, 2, 256);
SELECT shamir_share('\x01'::bytea, 256, 256);
SELECT shamir_share('\x01'::bytea, 2, -5);
SELECT shamir_share('\x01'::bytea, 2, 1);
SELECT shamir_share(''::bytea, 2, 3);
SELECT shamir_share(NULL, 2, 3);
SELECT shamir_share('\x01'::bytea, NULL, 3);
SELECT shamir_share('\x01'::bytea, 2, NULL);

SELECT shamir_combine(NULL);
SELECT shamir_combine('{}'::bytea[]);
SELECT shamir_combine(ARRAY['\x0101']::bytea[]);
SELECT shamir_combine(ARRAY['\x0101', NULL]::bytea[]);
SELECT shamir_combine(ARRAY[['\x0101', '\x0202'], ['\x0303', '\x0404']]::bytea[]);
-- duplicate and zero x values
SELECT shamir_combine(ARRAY['\x0101', '\x0202', '\x0301']::bytea[]);
SELECT shamir_combine(ARRAY['\x0101', '\x0200']::bytea[]);
-- lengths: different, and below two bytes
SELECT shamir_combine(ARRAY['\x010101', '\x0202']::bytea[]);
SELECT shamir_combine(ARRAY['\x01', '\x02']::bytea[]);
SELECT shamir_combine(ARRAY['', '']::bytea[]);
SELECT shamir_combine(ARRAY['\x0102', '']::bytea[]);
-- 256 shares
SELECT shamir_combine(ARRAY(SELECT '\x01'::bytea || set_byte('\x00', 0, g % 256)
                            FROM generate_series(1, 256) g));

-- A secret stored out of line (TOAST) is read like any other
CREATE TEMP TABLE long_secret (secret bytea);
ALTER TABLE long_secret ALTER COLUMN secret SET STORAGE EXTERNAL;
INSERT INTO long_secret
SELECT decode(string_agg(md5(g::text), ''), 'hex') FROM generate_series(1, 1000) g;
SELECT length(secret) AS length,
       shamir_combine((shamir_share(secret, 3, 4))[2:4]) = secret AS rebuilt
FROM long_secret;

-- Distribution. With threshold 2 and the secret 0x00, a share's y byte is
-- a * x for a uniform coefficient a and a non-zero x, so y is uniform over
-- all 256 values, 0 included, and x is uniform over 1..255. Over 20000
-- shares, a chi-square statistic with 255 degrees of freedom exceeds 377
-- with probability about 1e-6 (Wilson-Hilferty approximation), and with 254
-- degrees of freedom 376. y = 0, expected 78 times, is missing with
-- probability (255/256)^20000 < 1e-33; it would be missing always if the
-- leading coefficient were kept non-zero.
CREATE TEMP TABLE first_shares AS
SELECT (shamir_share('\x00'::bytea, 2, 2))[1] AS share FROM generate_series(1, 20000);
SELECT sum((observed - 20000 / 256.0) ^ 2 / (20000 / 256.0)) < 377 AS y_uniform,
       count(*) = 256 AS every_y_seen
FROM (SELECT get_byte(share, 0) AS y, count(*) AS observed
      FROM first_shares GROUP BY 1) AS counts;
SELECT sum((observed - 20000 / 255.0) ^ 2 / (20000 / 255.0)) < 376 AS x_uniform,
       count(*) = 255 AS every_x_seen, min(x) AS min_x, max(x) AS max_x
FROM (SELECT get_byte(share, 1) AS x, count(*) AS observed
      FROM first_shares GROUP BY 1) AS counts;

-- Volatility: two calls in one statement draw different coefficients.
-- Equal 32-byte shares have probability below 2^-200.
SELECT (shamir_share(secret, 2, 2))[1] <> (shamir_share(secret, 2, 2))[1] AS fresh_draws
FROM (SELECT sha256('k') AS secret) s;

-- shamir_combine is STABLE, so rebuilt secrets cannot be stored on disk by
-- an index expression or a generated column
CREATE TEMP TABLE stored_shares (shares bytea[]);
CREATE INDEX ON stored_shares (shamir_combine(shares));
CREATE TEMP TABLE generated_secret (
    shares bytea[],
    secret bytea GENERATED ALWAYS AS (shamir_combine(shares)) STORED);

-- Rebuilding is for the data owner: PUBLIC may split but not combine
CREATE ROLE regress_shamir_analyst;
SET ROLE regress_shamir_analyst;
SELECT array_length(shamir_share('\x01'::bytea, 2, 3), 1) AS analyst_can_split;
SELECT shamir_combine(ARRAY['\x5701', '\xc183']::bytea[]);
RESET ROLE;
DROP ROLE regress_shamir_analyst;
