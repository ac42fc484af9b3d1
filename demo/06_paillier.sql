-- Paillier encryption: a column the database sums but cannot read.
--
-- The application would hold only the public key and store each
-- customer's capital gain encrypted. Here the data owner encrypts Adult's
-- capital-gain column at load. The role finance_analyst sums it per
-- education level without ever seeing a value, and only finance_keyholder,
-- whom the owner granted the key, decrypts the totals.
--
-- finance_analyst is not analyst_alice: it reads a table whose education
-- column is in clear text, so its row counts per group are exact. Paillier
-- hides the values, not the group sizes; the DP views are for that.
-- The key has 2048 bits, the minimum, to keep the demo quick; the default
-- of paillier_generate_key() is 3072.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP ROLE IF EXISTS finance_analyst;
DROP ROLE IF EXISTS finance_keyholder;
CREATE ROLE finance_analyst;
CREATE ROLE finance_keyholder;

\echo 'A new 2048-bit key pair; finance_keyholder is the only role granted decryption.'
SELECT encode(ciam_privacy.paillier_generate_key('adult_capital_gain', 2048), 'hex') AS key_fingerprint;
SELECT ciam_privacy.paillier_grant_decrypt('adult_capital_gain', 'finance_keyholder');

-- Encrypt at load, in two parallel workers and the leader: the table is
-- small for the planner's defaults, but each row costs about a millisecond,
-- and paillier_encrypt() is parallel safe.
CREATE SCHEMA finance;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
\echo 'Encrypting the capital gain of every customer (about a millisecond per row):'
\timing on
CREATE TABLE finance.capital_gains AS
SELECT customer_id,
       education,
       ciam_privacy.paillier_encrypt(capital_gain::bigint, 'adult_capital_gain') AS capital_gain_enc
FROM crm.customers;
\timing off
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT count(*) AS encrypted_rows,
       pg_size_pretty(pg_total_relation_size('finance.capital_gains')) AS table_size
FROM finance.capital_gains;
-- A stored value, in the text form fingerprint:scale:bound:ciphertext
\echo 'Stored values are ciphertexts, shown as fingerprint:scale:bound:ciphertext:'
SELECT customer_id, left(capital_gain_enc::text, 72) || '...' AS capital_gain_enc
FROM finance.capital_gains ORDER BY customer_id LIMIT 3;

GRANT USAGE ON SCHEMA finance TO finance_analyst, finance_keyholder;
GRANT SELECT ON finance.capital_gains TO finance_analyst;
GRANT CREATE ON SCHEMA finance TO finance_analyst;

-- The analyst sums per education level and keeps the encrypted totals
\echo 'finance_analyst sums the ciphertexts per education level, without reading any value.'
SET ROLE finance_analyst;
CREATE TABLE finance.gain_totals AS
SELECT education, count(*) AS customers, ciam_privacy.paillier_add(capital_gain_enc) AS total_enc
FROM finance.capital_gains
GROUP BY education;
GRANT SELECT ON finance.gain_totals TO finance_keyholder;

-- The analyst cannot decrypt a total, nor read the private key
\echo 'finance_analyst now tries to decrypt a total and to read the private key.'
\echo 'Both attempts must fail: the two ERROR lines below are the expected refusals.'
\set ON_ERROR_STOP 0
SELECT education, ciam_privacy.paillier_decrypt(total_enc, 'adult_capital_gain')
FROM finance.gain_totals LIMIT 1;
SELECT * FROM ciam_privacy.paillier_private_key;
\set ON_ERROR_STOP 1
RESET ROLE;

-- The key holder decrypts the totals
\echo 'finance_keyholder decrypts the totals (the 8 largest of the 16 groups shown):'
SET ROLE finance_keyholder;
SELECT education, customers,
       ciam_privacy.paillier_decrypt(total_enc, 'adult_capital_gain') AS total_capital_gain
FROM finance.gain_totals
ORDER BY total_capital_gain DESC, education COLLATE "C"
LIMIT 8;
RESET ROLE;

-- Check against the exact sums, which only the data owner can compute
\echo 'The data owner checks every decrypted total against the exact sum of the clear column:'
SELECT count(*) AS groups,
       coalesce(bool_and(ciam_privacy.paillier_decrypt(t.total_enc, 'adult_capital_gain') = e.total), false)
           AS all_totals_match
FROM finance.gain_totals AS t
JOIN (SELECT education, sum(capital_gain) AS total FROM crm.customers GROUP BY education) AS e
  USING (education) \gset
\if :all_totals_match
\echo 'All' :groups 'decrypted totals equal the exact sums.'
\else
DO $$ BEGIN RAISE EXCEPTION 'a decrypted total differs from its exact sum'; END $$;
\endif
