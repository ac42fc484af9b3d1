-- Key generation as an attacker would check it: sizes (2048 minimum, 3072
-- by default), p and q of equal size, far apart (Fermat's method factors n
-- quickly when |p - q| is small), p = q = 3 mod 4 with gcd(p - 1, q - 1)
-- = 2, and no two keys sharing a prime. That p and q are prime is checked
-- by test/paillier_key_file.sh, whose import tests them with GMP.
SET client_min_messages = warning;
SET search_path = public, ciam_privacy;

SELECT length(paillier_generate_key('keygen_default')) AS fingerprint_bytes;
SELECT length(paillier_generate_key('keygen_a', 2048)) AS fingerprint_bytes;
SELECT length(paillier_generate_key('keygen_b', 2048)) AS fingerprint_bytes;
SELECT paillier_generate_key('keygen_small', 2046);
SELECT paillier_generate_key('keygen_large', 8194);
SELECT paillier_generate_key('keygen_null', NULL) IS NULL AS null_size_is_null;

CREATE TABLE keygen_primes AS
    SELECT k.name, k.modulus_bits AS bits,
           paillier_bytes_to_numeric(k.n) AS n,
           paillier_bytes_to_numeric(s.p) AS p, paillier_bytes_to_numeric(s.q) AS q,
           length(s.p) AS p_bytes, length(s.q) AS q_bytes,
           get_byte(s.p, 0) >= 128 AS p_top_bit, get_byte(s.q, 0) >= 128 AS q_top_bit
    FROM paillier_key k JOIN paillier_private_key s USING (fingerprint)
    WHERE k.name LIKE 'keygen%';
SELECT name, bits,
       p * q = n AS n_is_pq,
       p_bytes = bits / 16 AND q_bytes = bits / 16 AND p_top_bit AND q_top_bit AS equal_size,
       abs(p - q) >= 2::numeric ^ (bits / 2 - 100) AS far_apart,
       mod(p, 4) = 3 AND mod(q, 4) = 3 AS three_mod_four,
       gcd(p - 1, q - 1) = 2 AS gcd_two,
       gcd(n, (p - 1) * (q - 1)) = 1 AS n_coprime_to_phi
FROM keygen_primes ORDER BY name;
-- No prime is shared between keys (a shared prime would factor both)
SELECT count(*) AS shared_factors
FROM keygen_primes a JOIN keygen_primes b ON a.name < b.name
WHERE gcd(a.n, b.n) <> 1;

DROP TABLE keygen_primes;
SELECT paillier_drop_key(name) FROM paillier_key WHERE name LIKE 'keygen%' ORDER BY name;
