-- The sum aggregate in parallel plans: workers multiply partial products,
-- the leader combines them, and the result equals the serial sum.
SET client_min_messages = warning;
SET search_path = public, ciam_privacy;

SELECT length(paillier_generate_key('parallel_key', 2048)) AS fingerprint_bytes;
-- 40 distinct ciphertexts of mixed signs, repeated to 120000 rows
CREATE TABLE parallel_base AS
    SELECT g AS id, ((g * 7919) % 4001 - 2000)::bigint AS v,
           paillier_encrypt(((g * 7919) % 4001 - 2000)::bigint, 'parallel_key') AS c
    FROM generate_series(1, 40) g;
CREATE TABLE parallel_rows AS
    SELECT b.id % 4 AS grp, b.v, b.c FROM parallel_base b, generate_series(1, 3000);
ANALYZE parallel_rows;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT paillier_add(c) FROM parallel_rows;
EXPLAIN (COSTS OFF) SELECT grp, paillier_add(c) FROM parallel_rows GROUP BY grp;
CREATE TABLE parallel_result AS SELECT paillier_add(c) AS total, sum(v) AS expected FROM parallel_rows;
CREATE TABLE parallel_groups AS SELECT grp, paillier_add(c) AS total, sum(v) AS expected FROM parallel_rows GROUP BY grp;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT paillier_add(c) FROM parallel_rows;
CREATE TABLE serial_result AS SELECT paillier_add(c) AS total FROM parallel_rows;
CREATE TABLE serial_groups AS SELECT grp, paillier_add(c) AS total FROM parallel_rows GROUP BY grp;
RESET max_parallel_workers_per_gather;

-- The product modulo n^2 does not depend on the plan, so the ciphertexts
-- themselves are equal, and they decrypt to sum()
SELECT p.total::text = s.total::text AS same_ciphertext,
       paillier_decrypt(p.total, 'parallel_key') = p.expected AS parallel_sum_ok,
       paillier_decrypt(s.total, 'parallel_key') = p.expected AS serial_sum_ok,
       p.expected
FROM parallel_result p, serial_result s;
SELECT p.grp, p.total::text = s.total::text AS same_ciphertext,
       paillier_decrypt(p.total, 'parallel_key') = p.expected AS sum_ok
FROM parallel_groups p JOIN serial_groups s USING (grp) ORDER BY p.grp;
-- The recorded bound grows with the row count: 64 + ceil(log2(120000))
SELECT split_part(total::text, ':', 3) AS bound FROM parallel_result;

DROP TABLE parallel_base, parallel_rows, parallel_result, parallel_groups, serial_result, serial_groups;
SELECT paillier_drop_key('parallel_key');
