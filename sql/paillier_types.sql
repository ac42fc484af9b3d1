-- Paillier ciphertexts: round trips, signed encoding, overflow bands and
-- the checks on every ciphertext that enters the database.
SET client_min_messages = warning;
SET search_path = public, ciam_privacy;

SELECT length(paillier_generate_key('types_key', 2048)) AS fingerprint_bytes;
SELECT modulus_bits, g = paillier_numeric_to_bytes(paillier_bytes_to_numeric(n) + 1) AS g_is_n_plus_1
FROM paillier_key WHERE name = 'types_key';

-- Key sizes below 2048 bits, odd sizes and duplicates are rejected
SELECT paillier_generate_key('too_small', 1024);
SELECT paillier_generate_key('odd_size', 2049);
SELECT paillier_generate_key('types_key', 2048);

-- Round trips at each int64 boundary and around zero
SELECT v, paillier_decrypt(paillier_encrypt(v, 'types_key'), 'types_key') = v AS round_trip
FROM (VALUES ('-9223372036854775808'::bigint), (-9223372036854775807), (-1), (0),
             (1), (9223372036854775806), (9223372036854775807)) AS t(v);

-- Sums at and beyond the int64 range, exact as numeric
SELECT paillier_decrypt(paillier_encrypt('9223372036854775807'::bigint, 'types_key')
                        + paillier_encrypt('9223372036854775807'::bigint, 'types_key'), 'types_key') AS twice_max,
       paillier_decrypt(paillier_encrypt('-9223372036854775808'::bigint, 'types_key')
                        + paillier_encrypt('-9223372036854775808'::bigint, 'types_key'), 'types_key') AS twice_min,
       paillier_decrypt(paillier_encrypt('-9223372036854775808'::bigint, 'types_key')
                        + paillier_encrypt('9223372036854775807'::bigint, 'types_key'), 'types_key') AS min_plus_max;

-- Sums of mixed signs, with the aggregate, a subtraction and scalars
CREATE TABLE types_values AS
    SELECT g AS id, (g * 7919 % 2001 - 1000)::bigint AS v FROM generate_series(1, 60) g;
CREATE TABLE types_cipher AS
    SELECT id, v, paillier_encrypt(v, 'types_key') AS c FROM types_values;
SELECT paillier_decrypt(paillier_add(c), 'types_key') = sum(v) AS aggregate_matches,
       sum(v) AS expected
FROM types_cipher;
SELECT paillier_decrypt(a.c - b.c, 'types_key') = a.v - b.v AS difference_ok
FROM types_cipher a JOIN types_cipher b ON b.id = a.id + 1 WHERE a.id < 4;
SELECT k, paillier_decrypt(c * k, 'types_key') = v::numeric * k AS right_scalar,
       paillier_decrypt(k * c, 'types_key') = v::numeric * k AS left_scalar
FROM types_cipher, (VALUES (-9223372036854775808), (-3), (-1), (0), (1), (9223372036854775807)) AS s(k)
WHERE id = 1;
-- Multiplying by 0 gives a fresh encryption of 0, not the constant 1
SELECT paillier_ciphertext_value(c * 0) <> 1 AS zero_is_randomized FROM types_cipher WHERE id = 1;

-- An empty aggregate is NULL, like sum(); NULL rows are skipped
SELECT paillier_add(c) IS NULL AS empty_is_null FROM types_cipher WHERE false;
SELECT paillier_decrypt(paillier_add(CASE WHEN id % 2 = 0 THEN c END), 'types_key')
       = sum(v) FILTER (WHERE id % 2 = 0) AS nulls_skipped
FROM types_cipher;

-- Re-randomization keeps the plaintext and changes the ciphertext
SELECT paillier_decrypt(paillier_rerandomize(c), 'types_key') = v AS same_plaintext,
       paillier_ciphertext_value(paillier_rerandomize(c)) <> paillier_ciphertext_value(c) AS new_ciphertext
FROM types_cipher WHERE id = 2;
-- Two encryptions of one value differ
SELECT paillier_encrypt(5::bigint, 'types_key')::text <> paillier_encrypt(5::bigint, 'types_key')::text
    AS probabilistic;

-- numeric at a stated scale; digits beyond the scale are an error, not rounded
SELECT paillier_decrypt(paillier_encrypt(12.34, 'types_key', 2), 'types_key') AS two_places,
       paillier_decrypt(paillier_encrypt(-0.005, 'types_key', 3), 'types_key') AS small_negative,
       paillier_decrypt(paillier_encrypt(12.340, 'types_key', 2), 'types_key') AS trailing_zero,
       paillier_decrypt(paillier_encrypt(7, 'types_key', 4), 'types_key') AS padded;
SELECT paillier_decrypt(paillier_encrypt(1.25, 'types_key', 2) + paillier_encrypt(-3.50, 'types_key', 2), 'types_key')
    AS numeric_sum;
SELECT paillier_encrypt(12.345, 'types_key', 2);
SELECT paillier_encrypt('NaN'::numeric, 'types_key', 2);
SELECT paillier_encrypt('Infinity'::numeric, 'types_key', 0);
SELECT paillier_encrypt(2::numeric ^ 127, 'types_key', 0);
SELECT paillier_decrypt(paillier_encrypt(2::numeric ^ 126, 'types_key', 0), 'types_key') = 2::numeric ^ 126
    AS largest_numeric;
SELECT paillier_encrypt(1, 'types_key', -1);
-- Scales must match before ciphertexts are combined
SELECT paillier_encrypt(1.5, 'types_key', 1) + paillier_encrypt(1.5, 'types_key', 2);
SELECT paillier_add(c) FROM (VALUES (paillier_encrypt(1, 'types_key', 1)), (paillier_encrypt(1, 'types_key', 2))) AS t(c);

-- Text form: FINGERPRINT:SCALE:BOUND:C; output and input round trip
SELECT paillier_decrypt(c::text::paillier_ciphertext, 'types_key') = v AS text_round_trip
FROM types_cipher WHERE id = 3;
SELECT split_part(c::text, ':', 1) = encode(k.fingerprint, 'hex') AS fingerprint_in_text,
       split_part(c::text, ':', 2) AS scale, split_part(c::text, ':', 3) AS bound,
       length(split_part(c::text, ':', 4)) AS hex_digits
FROM types_cipher, paillier_key k WHERE id = 3 AND k.name = 'types_key';

-- Invalid ciphertexts: 0, n, 2n, n^2, n^2 + 1, n^2 + n + 1; every one is
-- rejected on input
CREATE TABLE types_key_values AS
    SELECT encode(fingerprint, 'hex') AS fp, paillier_bytes_to_numeric(n) AS n
    FROM paillier_key WHERE name = 'types_key';
CREATE FUNCTION types_text(fp text, c numeric, scale int DEFAULT 0, bound int DEFAULT 64) RETURNS text
LANGUAGE sql AS $$
    SELECT fp || ':' || scale || ':' || bound || ':' ||
           CASE WHEN c = 0 THEN '0' ELSE encode(paillier_numeric_to_bytes(c), 'hex') END
$$;
SELECT types_text(fp, 0)::paillier_ciphertext FROM types_key_values;
SELECT types_text(fp, n)::paillier_ciphertext FROM types_key_values;
SELECT types_text(fp, 2 * n)::paillier_ciphertext FROM types_key_values;
SELECT types_text(fp, n * n)::paillier_ciphertext FROM types_key_values;
SELECT types_text(fp, n * n + 1)::paillier_ciphertext FROM types_key_values;
SELECT types_text(fp, n * n + n + 1)::paillier_ciphertext FROM types_key_values;
-- 1 is a valid ciphertext (of 0 with r = 1); n + 1 is one of 1
SELECT paillier_decrypt(types_text(fp, 1)::paillier_ciphertext, 'types_key') AS one_decrypts_to,
       paillier_decrypt(types_text(fp, n + 1)::paillier_ciphertext, 'types_key') AS n_plus_1_decrypts_to
FROM types_key_values;
-- Scale and bound out of range
SELECT types_text(fp, 1, 1001)::paillier_ciphertext FROM types_key_values;
SELECT types_text(fp, 1, 0, 2046)::paillier_ciphertext FROM types_key_values;
-- Malformed text
SELECT 'not a ciphertext'::paillier_ciphertext;
SELECT ''::paillier_ciphertext;
SELECT (fp || ':0:64')::paillier_ciphertext FROM types_key_values;
SELECT (fp || ':0:64:')::paillier_ciphertext FROM types_key_values;
SELECT (fp || ':0:64:12zz')::paillier_ciphertext FROM types_key_values;
SELECT (fp || ':x:64:1')::paillier_ciphertext FROM types_key_values;
SELECT (fp || ':0:64:1:2')::paillier_ciphertext FROM types_key_values;
SELECT (fp || ':-1:64:1')::paillier_ciphertext FROM types_key_values;
SELECT (substr(fp, 1, 30) || ':0:64:1')::paillier_ciphertext FROM types_key_values;
SELECT (fp || ':0:64:' || repeat('1', 1025))::paillier_ciphertext FROM types_key_values;
-- Any unit below n^2 is a valid ciphertext, with or without leading zeros
SELECT (fp || ':0:64:' || repeat('1', 513))::paillier_ciphertext IS NOT NULL AS short_hex_accepted FROM types_key_values;
-- A ciphertext of a key this database does not hold
SELECT '00112233445566778899aabbccddeeff:0:64:05'::paillier_ciphertext;
-- Import from a decimal string checks the same things
SELECT paillier_ciphertext(n, 'types_key') FROM types_key_values;
SELECT paillier_ciphertext(-5, 'types_key');
SELECT paillier_ciphertext(1.5, 'types_key');

-- Binary input: what send() writes, recv() reads back; a wrong length is
-- an error. The bytes go through a binary COPY file of a bytea column, whose
-- payload is exactly the bytes that recv() then receives. The function
-- returns the error's SQLSTATE and message, since its context names the
-- data directory.
CREATE TABLE types_binary_in (c paillier_ciphertext);
CREATE FUNCTION types_copy_binary(payload bytea) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    path text := current_setting('data_directory') || '/paillier_types_binary.copy';
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', payload, path);
    EXECUTE format('COPY types_binary_in FROM %L (FORMAT binary)', path);
    RETURN 'loaded';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;
SELECT types_copy_binary(paillier_ciphertext_send(c)) FROM types_cipher WHERE id = 4;
SELECT paillier_decrypt(b.c, 'types_key') = t.v AS binary_round_trip
FROM types_binary_in b, types_cipher t WHERE t.id = 4;
SELECT types_copy_binary(substring(paillier_ciphertext_send(c) FROM 1 FOR length(paillier_ciphertext_send(c)) - 1))
FROM types_cipher WHERE id = 4;
SELECT types_copy_binary(paillier_ciphertext_send(c) || '\x00'::bytea) FROM types_cipher WHERE id = 4;
SELECT types_copy_binary(substring(paillier_ciphertext_send(c) FROM 1 FOR 10)) FROM types_cipher WHERE id = 4;
-- The right length, but c = 0 and c = n
SELECT types_copy_binary(substring(paillier_ciphertext_send(c) FROM 1 FOR 20) || '\x'::bytea || decode(repeat('00', 512), 'hex'))
FROM types_cipher WHERE id = 4;
SELECT types_copy_binary(substring(paillier_ciphertext_send(t.c) FROM 1 FOR 20)
                         || decode(repeat('00', 256), 'hex') || paillier_numeric_to_bytes(k.n))
FROM types_cipher t, types_key_values k WHERE t.id = 4;
SELECT count(*) AS binary_rows_loaded FROM types_binary_in;

-- Overflow bands as in python-paillier: with max_int = floor(n/3) - 1, a
-- decrypted m <= max_int is m, m >= n - max_int is m - n, and anything
-- between is an overflow. Ciphertexts with r = 1, c = 1 + m n mod n^2,
-- place m exactly.
CREATE FUNCTION types_raw(m numeric, bound int) RETURNS paillier_ciphertext
LANGUAGE sql AS $$
    SELECT paillier_ciphertext(mod(1 + mod(mod(m, n) + n, n) * n, n * n), 'types_key', 0, bound)
    FROM types_key_values
$$;
SELECT paillier_decrypt(types_raw(2::numeric ^ 2044, 2045), 'types_key') = 2::numeric ^ 2044 AS large_positive,
       paillier_decrypt(types_raw(-(2::numeric ^ 2044), 2045), 'types_key') = -(2::numeric ^ 2044) AS large_negative;
-- max_int itself exceeds the largest bound a 2048-bit key allows (2^2045),
-- so the bound check, which is stricter, rejects it first
SELECT paillier_decrypt(types_raw(div(n, 3) - 1, 2045), 'types_key') FROM types_key_values;
SELECT paillier_decrypt(types_raw(div(n, 3), 2045), 'types_key') FROM types_key_values;
SELECT paillier_decrypt(types_raw(div(n, 2), 2045), 'types_key') FROM types_key_values;
SELECT paillier_decrypt(types_raw(n - (div(n, 3) - 1) - 1, 2045), 'types_key') FROM types_key_values;
SELECT paillier_decrypt(types_raw(-(div(n, 3) - 1), 2045), 'types_key') FROM types_key_values;
-- A value beyond the bound its ciphertext states is an error, not a value
SELECT paillier_decrypt(types_raw(2::numeric ^ 64, 64), 'types_key');
SELECT paillier_decrypt(types_raw(2::numeric ^ 64 - 1, 64), 'types_key') = 2::numeric ^ 64 - 1 AS at_bound;
-- Chained scalar products could wrap past n: rejected before they can
SELECT paillier_decrypt(paillier_encrypt(1::bigint, 'types_key') * 9223372036854775807 * 9223372036854775807, 'types_key')
    = 9223372036854775807::numeric ^ 2 AS product_fits;
DO $$
DECLARE
    c ciam_privacy.paillier_ciphertext := ciam_privacy.paillier_encrypt(1::bigint, 'types_key');
BEGIN
    FOR i IN 1..40 LOOP
        c := c * 9223372036854775807;
    END LOOP;
END;
$$;
SELECT paillier_ciphertext(c, 'types_key', 0, 2045) + paillier_ciphertext(c, 'types_key', 0, 2045)
FROM (SELECT paillier_ciphertext_value(c) AS c FROM types_cipher WHERE id = 1) AS t;

-- Ciphertexts of two keys never mix
SELECT length(paillier_generate_key('types_other', 2048)) AS fingerprint_bytes;
SELECT paillier_encrypt(1::bigint, 'types_key') + paillier_encrypt(1::bigint, 'types_other');
SELECT paillier_add(c) FROM (VALUES (paillier_encrypt(1::bigint, 'types_key')),
                                    (paillier_encrypt(1::bigint, 'types_other'))) AS t(c);
SELECT paillier_decrypt(paillier_encrypt(1::bigint, 'types_other'), 'types_key');
SELECT paillier_decrypt(paillier_encrypt(1::bigint, 'types_other'), 'no_such_key');
SELECT paillier_ciphertext_key(paillier_encrypt(1::bigint, 'types_other')) AS key_of_ciphertext;

-- Public key export and import: the JWK form of python-paillier
SELECT e->'jwk'->>'kty' AS kty, e->'jwk'->>'alg' AS alg, e->'jwk'->'key_ops' AS key_ops,
       e->'jwk'->>'n' !~ '[+/=]' AS n_is_base64url,
       paillier_base64url_decode(e->'jwk'->>'n') = k.n AS n_decodes,
       (e->>'n')::numeric = paillier_bytes_to_numeric(k.n) AS n_decimal
FROM paillier_key k, paillier_export_public_key('types_other') AS e WHERE k.name = 'types_other';
CREATE TABLE types_jwk AS SELECT paillier_export_public_key('types_other')->'jwk' AS jwk,
    (SELECT fingerprint FROM paillier_key WHERE name = 'types_other') AS fingerprint;
SELECT paillier_drop_key('types_other');
SELECT paillier_import_public_jwk('types_other_public', jwk) = fingerprint AS same_fingerprint FROM types_jwk;
SELECT paillier_import_public_jwk('types_bad', '{"kty": "RSA", "n": "AQAB"}');
SELECT paillier_import_public_jwk('types_bad', '{"kty": "DAJ", "alg": "PAI-GN1", "n": "AQAB"}');
-- The public key alone encrypts and adds, but cannot decrypt
SELECT paillier_ciphertext_key(paillier_encrypt(3::bigint, 'types_other_public')
                               + paillier_encrypt(4::bigint, 'types_other_public')) AS sum_key;
SELECT paillier_decrypt(paillier_encrypt(3::bigint, 'types_other_public'), 'types_other_public');
-- python-paillier's ciphertext JSON: {"v": decimal, "e": 0}
SELECT paillier_decrypt(paillier_ciphertext_from_phe(paillier_ciphertext_to_phe(c), 'types_key'), 'types_key') = v
    AS phe_round_trip
FROM types_cipher WHERE id = 5;
SELECT paillier_ciphertext_from_phe('{"v": "5", "e": -2}', 'types_key');
SELECT paillier_ciphertext_to_phe(paillier_encrypt(1.5, 'types_key', 1));
-- Public keys that are not Paillier keys
SELECT paillier_import_public_key('types_bad', 2::numeric ^ 2047 + 1, NULL);
SELECT paillier_import_public_key('types_bad2', 2::numeric ^ 1023 + 1, NULL);
SELECT paillier_import_public_key('types_bad2', 2::numeric ^ 2048, NULL);
SELECT paillier_import_public_key('types_bad2', 2::numeric ^ 2047 + 3, 0);

SELECT paillier_drop_key(name) FROM paillier_key WHERE name LIKE 'types%' ORDER BY name;
SELECT count(*) AS private_keys_left FROM paillier_private_key;
