-- Shamir shares of integers over the field of p = 2^127 - 1, the
-- share-wise sum shamir_sum, and the rebuild of a total.
SET search_path = ciam_privacy, public;

-- Round trips at the edges of the range, (p - 1) / 2 = 2^126 - 1 included
SELECT v AS value,
       shamir_combine_int((shamir_share_int(v, 2, 3))[2:3]) = v AS from_two,
       shamir_combine_int((shamir_share_int(v, 3, 5))[3:5]) = v AS from_three,
       shamir_combine_int(shamir_share_int(v, 3, 5)) = v AS from_all
FROM unnest(ARRAY[0, 1, -1, 9223372036854775807, -9223372036854775808,
                  85070591730234615865843651857942052863,
                  -85070591730234615865843651857942052863]::numeric[]) AS v;
SELECT shamir_combine_int(shamir_share_int(42.000, 2, 2)) AS integral_fraction;
-- The largest threshold, and 200 of 255 shares taken from the middle
SELECT shamir_combine_int(shamir_share_int(-987654321, 255, 255)) AS threshold_255,
       shamir_combine_int((shamir_share_int(123456789, 200, 255))[30:229]) AS threshold_200;

-- Element k has x = k; every element records the threshold
SELECT shamir_int_share_x(s) AS x, shamir_int_share_threshold(s) AS threshold
FROM unnest(shamir_share_int(7, 3, 4)) AS s;

-- Any threshold shares rebuild, in any order
CREATE TEMP TABLE int_shares AS SELECT shamir_share_int(-123456789, 3, 5) AS shares;
SELECT count(*) AS subsets,
       count(*) FILTER (WHERE shamir_combine_int(ARRAY[shares[c], shares[a], shares[b]])
                              = -123456789) AS rebuilt
FROM int_shares,
     generate_series(1, 5) a, generate_series(1, 5) b, generate_series(1, 5) c
WHERE a < b AND b < c;

-- Values out of range or not integers
SELECT shamir_share_int(85070591730234615865843651857942052864, 2, 3);
SELECT shamir_share_int(-85070591730234615865843651857942052864, 2, 3);
SELECT shamir_share_int(1e40, 2, 3);
SELECT shamir_share_int(1.5, 2, 3);
SELECT shamir_share_int('NaN', 2, 3);
SELECT shamir_share_int('Infinity', 2, 3);
SELECT shamir_share_int(NULL, 2, 3);
SELECT shamir_share_int(1, 1, 3);
SELECT shamir_share_int(1, 4, 3);
SELECT shamir_share_int(1, 2, 256);
SELECT shamir_share_int(1, 2, NULL);

-- Rebuild checks: too few shares, mixed thresholds, duplicate x, an
-- altered extra share, NULLs and shapes
SELECT shamir_combine_int(shares[1:2]) FROM int_shares;
SELECT shamir_combine_int(ARRAY[shares[1], shares[2]] || (shamir_share_int(5, 2, 2))[1])
FROM int_shares;
SELECT shamir_combine_int(ARRAY[shares[1], shares[2], shares[1]]) FROM int_shares;
SELECT shamir_combine_int(shares[1:3] || '(5,3,12345)'::shamir_int_share) FROM int_shares;
SELECT shamir_combine_int(shares[1:4] || (shamir_share_int(-123456789, 3, 5))[5])
FROM int_shares;
SELECT shamir_combine_int(NULL);
SELECT shamir_combine_int('{}');
SELECT shamir_combine_int(ARRAY[shares[1]]) FROM int_shares;
SELECT shamir_combine_int(ARRAY[shares[1], NULL]) FROM int_shares;
SELECT shamir_combine_int(ARRAY[[shares[1], shares[2]], [shares[3], shares[4]]])
FROM int_shares;

-- Text form (x,threshold,y) and its checks: y below p = 2^127 - 1
SELECT '(1,2,0)'::shamir_int_share AS smallest,
       '(255,255,170141183460469231731687303715884105726)'::shamir_int_share AS largest;
SELECT '(1,2,170141183460469231731687303715884105727)'::shamir_int_share;
SELECT '(1,2,340282366920938463463374607431768211456)'::shamir_int_share;
SELECT '(0,2,5)'::shamir_int_share;
SELECT '(256,2,5)'::shamir_int_share;
SELECT '(1,1,5)'::shamir_int_share;
SELECT '(1,256,5)'::shamir_int_share;
SELECT '(1,2,-5)'::shamir_int_share;
SELECT '(1, 2, 5)'::shamir_int_share;
SELECT '(1,2,5'::shamir_int_share;
SELECT '(1,2,5)x'::shamir_int_share;
SELECT ''::shamir_int_share;
-- the binary form: x, threshold, then y in 16 big-endian bytes
SELECT shamir_int_share_send('(3,2,258)') AS binary_form;

-- A secure sum in one database: three parties share their values 1000,
-- -300 and 2^63 - 1 with threshold 2; party k adds up the k-th shares.
CREATE TEMP TABLE party_value (party int, value numeric);
INSERT INTO party_value VALUES (1, 1000), (2, -300), (3, 9223372036854775807);
CREATE TEMP TABLE sent_share AS
SELECT party AS from_party, k AS to_party, shares[k] AS share
FROM (SELECT party, shamir_share_int(value, 2, 3) AS shares FROM party_value) p,
     generate_series(1, 3) k;
CREATE TEMP TABLE summed_share AS
SELECT to_party, shamir_sum(share) AS share FROM sent_share GROUP BY to_party;
SELECT to_party, shamir_int_share_x(share) AS x FROM summed_share ORDER BY to_party;
SELECT a.to_party AS first, b.to_party AS second,
       shamir_combine_int(ARRAY[a.share, b.share]) AS total
FROM summed_share a JOIN summed_share b ON a.to_party < b.to_party
ORDER BY 1, 2;

-- A party that calls shamir_share_int once per recipient draws a new
-- polynomial each time, so its shares do not fit together. Two summed
-- shares then give a wrong total without error, and all three fail the
-- check of the extra share (a false pass has probability 1/p).
CREATE TEMP TABLE mixed_sum AS
SELECT k, shamir_sum((shamir_share_int(value, 2, 3))[k]) AS share
FROM party_value, generate_series(1, 3) k GROUP BY k;
SELECT shamir_combine_int(ARRAY(SELECT share FROM mixed_sum ORDER BY k));

-- shamir_sum rejects shares of different x or threshold and NULL shares;
-- it returns NULL without input
SELECT shamir_sum(share) FROM sent_share;
SELECT shamir_sum(s) FROM unnest(ARRAY[(shamir_share_int(1, 2, 2))[1],
                                       (shamir_share_int(1, 3, 3))[1]]) AS s;
SELECT shamir_sum(s) FROM unnest(ARRAY[(shamir_share_int(1, 2, 2))[1], NULL]) AS s;
SELECT shamir_sum(share) IS NULL AS empty_is_null FROM sent_share WHERE false;

-- Bigint sums cannot wrap: 100000 shares of 2^63 - 1 and of -2^63 add up
-- to the exact totals, and a total of 2^126 - 1 (the largest) rebuilds.
-- Above it the value wraps around p: 2^126 comes back as -(2^126 - 1).
CREATE TEMP TABLE big_shares AS
SELECT shamir_share_int(9223372036854775807, 2, 2) AS high,
       shamir_share_int(-9223372036854775808, 2, 2) AS low
FROM generate_series(1, 100000);
SELECT shamir_combine_int(ARRAY[shamir_sum(high[1]), shamir_sum(high[2])])
           = 100000 * 9223372036854775807::numeric AS high_exact,
       shamir_combine_int(ARRAY[shamir_sum(low[1]), shamir_sum(low[2])])
           = 100000 * -9223372036854775808::numeric AS low_exact
FROM big_shares;
SELECT shamir_combine_int(ARRAY[shamir_sum(s[1]), shamir_sum(s[2])]) AS largest_total
FROM (VALUES (shamir_share_int(85070591730234615865843651857942052862, 2, 2)),
             (shamir_share_int(1, 2, 2))) AS t(s);
SELECT shamir_combine_int(ARRAY[shamir_sum(s[1]), shamir_sum(s[2])]) AS wrapped_total
FROM (VALUES (shamir_share_int(85070591730234615865843651857942052863, 2, 2)),
             (shamir_share_int(1, 2, 2))) AS t(s);

-- Parallel plans: workers send serialized partial sums, the leader
-- combines them, and the total is the same as in a serial plan
CREATE TABLE shamir_parallel AS
SELECT g, shamir_share_int(g, 2, 2) AS shares FROM generate_series(1, 200000) g;
ANALYZE shamir_parallel;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT shamir_sum(shares[1]), shamir_sum(shares[2]) FROM shamir_parallel;
SELECT shamir_combine_int(ARRAY[shamir_sum(shares[1]), shamir_sum(shares[2])]) AS parallel_total
FROM shamir_parallel;
SET max_parallel_workers_per_gather = 0;
SELECT shamir_combine_int(ARRAY[shamir_sum(shares[1]), shamir_sum(shares[2])]) AS serial_total
FROM shamir_parallel;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE shamir_parallel;

-- Shares of one value are uniform: over 20000 splits of 0 with threshold
-- 2, the share at x = 1 is the coefficient itself. Its top 7 of 127 bits
-- put it in one of 128 bins. A chi-square statistic with 127 degrees of
-- freedom exceeds 216 with probability about 1e-6 (Wilson-Hilferty
-- approximation).
SELECT sum((observed - 20000 / 128.0) ^ 2 / (20000 / 128.0)) < 216 AS y_uniform,
       count(*) = 128 AS every_bin_seen
FROM (SELECT floor(y / 2::numeric ^ 120) AS bin, count(*) AS observed
      FROM (SELECT split_part(trim(both '()' from ((shamir_share_int(0, 2, 2))[1])::text),
                              ',', 3)::numeric AS y
            FROM generate_series(1, 20000)) AS draws
      GROUP BY 1) AS counts;

-- Rebuilding is for the data owner: PUBLIC may share and add, not rebuild
CREATE ROLE regress_shamir_int_analyst;
SET ROLE regress_shamir_int_analyst;
SELECT shamir_int_share_x(shamir_sum(s)) AS analyst_can_add
FROM unnest(shamir_share_int(5, 2, 2)) AS s WHERE shamir_int_share_x(s) = 2;
SELECT shamir_combine_int(shamir_share_int(5, 2, 2));
RESET ROLE;
DROP ROLE regress_shamir_int_analyst;
