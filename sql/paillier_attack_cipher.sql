-- Attacks on Paillier ciphertexts by a role that may use them but not
-- decrypt: invalid values on every entry path, forged headers, keys mixed
-- through every operation, the aggregate's support functions, and
-- decryption through objects that the key holder owns.
SET client_min_messages = warning;
SET search_path = public, ciam_privacy;

CREATE ROLE attack_analyst;
CREATE ROLE attack_holder;
SELECT length(paillier_generate_key('attack_key', 2048)) AS fingerprint_bytes;
SELECT length(paillier_generate_key('attack_other', 2048)) AS fingerprint_bytes;
SELECT paillier_grant_decrypt('attack_key', 'attack_holder');
CREATE TABLE attack_key_values AS
    SELECT encode(k.fingerprint, 'hex') AS fp, paillier_bytes_to_numeric(k.n) AS n,
           paillier_bytes_to_numeric(s.p) AS p, paillier_bytes_to_numeric(s.q) AS q
    FROM paillier_key k JOIN paillier_private_key s USING (fingerprint) WHERE k.name = 'attack_key';
CREATE FUNCTION attack_text(fp text, c numeric, scale int DEFAULT 0, bound int DEFAULT 64) RETURNS text
LANGUAGE sql AS $$
    SELECT fp || ':' || scale || ':' || bound || ':' || encode(paillier_numeric_to_bytes(c), 'hex')
$$;
-- Binary input through a binary COPY file of a bytea column; returns the
-- SQLSTATE and message, since the context names the data directory
CREATE TABLE attack_binary_in (c paillier_ciphertext);
CREATE FUNCTION attack_copy_binary(payload bytea) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    path text := current_setting('data_directory') || '/paillier_attack_binary.copy';
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', payload, path);
    EXECUTE format('COPY attack_binary_in FROM %L (FORMAT binary)', path);
    RETURN 'loaded';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;
CREATE FUNCTION attack_binary(fp text, c numeric, scale int DEFAULT 0, bound int DEFAULT 64) RETURNS bytea
LANGUAGE sql AS $$
    SELECT decode(fp, 'hex') || int2send(scale::int2) || int2send(bound::int2)
           || decode(lpad(encode(paillier_numeric_to_bytes(c), 'hex'), 1024, '0'), 'hex')
$$;

-- A c that shares a factor with n would let anyone who observes its
-- decryption factor n. c = p, 3p, 7q, n^2 - p and n^2 - q are rejected on
-- the entry paths below, while n^2 - 1, a unit, is accepted
SELECT attack_text(fp, p)::paillier_ciphertext FROM attack_key_values;
SELECT attack_text(fp, 7 * q)::paillier_ciphertext FROM attack_key_values;
SELECT attack_text(fp, n * n - p)::paillier_ciphertext FROM attack_key_values;
SELECT paillier_ciphertext(p, 'attack_key') FROM attack_key_values;
SELECT paillier_ciphertext(n * n - q, 'attack_key') FROM attack_key_values;
SELECT paillier_ciphertext_from_phe(jsonb_build_object('v', (3 * p)::text, 'e', 0), 'attack_key') FROM attack_key_values;
SELECT attack_copy_binary(attack_binary(fp, p)) FROM attack_key_values;
SELECT attack_copy_binary(attack_binary(fp, n * n + 1)) FROM attack_key_values;
SELECT attack_copy_binary(attack_binary(fp, 0)) FROM attack_key_values;
SELECT attack_copy_binary(attack_binary(fp, 5, -1)) FROM attack_key_values;
SELECT attack_copy_binary(attack_binary(fp, 5, 0, 2046)) FROM attack_key_values;
SELECT attack_copy_binary(attack_binary(fp, n * n - 1)) FROM attack_key_values;
SELECT count(*) AS binary_rows_loaded FROM attack_binary_in;
SELECT paillier_decrypt(attack_text(fp, n * n - 1)::paillier_ciphertext, 'attack_key') AS unit_decrypts_to
FROM attack_key_values;

GRANT SELECT ON attack_key_values TO attack_analyst;
CREATE TABLE attack_data AS
    SELECT g AS id, paillier_encrypt(g::bigint * 10, 'attack_key') AS c FROM generate_series(1, 8) g;
GRANT SELECT ON attack_data TO attack_analyst;
CREATE SCHEMA attack_analyst_schema AUTHORIZATION attack_analyst;
SET ROLE attack_analyst;

-- The aggregate's support functions take internal: not callable from SQL,
-- and only superusers may build an aggregate with an internal state
SELECT paillier_sum_deserialize('\x00'::bytea, NULL::internal);
SELECT paillier_sum_finalfn(NULL::internal);
CREATE AGGREGATE attack_analyst_schema.attack_sum(paillier_ciphertext) (
    SFUNC = paillier_sum_transfn, STYPE = internal, FINALFUNC = paillier_sum_serialize);

-- Keys never mix, through any operator or the aggregate
SELECT paillier_encrypt(1::bigint, 'attack_key') - paillier_encrypt(1::bigint, 'attack_other');
SELECT paillier_add(paillier_encrypt(1::bigint, 'attack_other'), paillier_encrypt(1::bigint, 'attack_key'));
SELECT paillier_add(c) FROM (SELECT c FROM attack_data UNION ALL
                             SELECT paillier_encrypt(1::bigint, 'attack_other')) AS t;

-- A forged fingerprint: the header is not authenticated, so a ciphertext
-- relabelled with a larger key it is a valid ciphertext of that key (of an
-- unrelated plaintext), since c < n^2 still holds; with another key of the
-- same size it is valid only when c happens to be below that key's n^2,
-- which depends on the random keys, so it is not shown here; relabelled
-- with an unknown key it is rejected
SELECT ('ffffffffffffffffffffffffffffffff' || substr(c::text, 33))::paillier_ciphertext
FROM attack_data WHERE id = 1;
RESET ROLE;
SELECT length(paillier_generate_key('attack_large', 3072)) AS fingerprint_bytes;
SET ROLE attack_analyst;
SELECT (encode(k.fingerprint, 'hex') || substr(d.c::text, 33))::paillier_ciphertext IS NOT NULL
    AS accepted_by_larger_key
FROM attack_data d, paillier_key k WHERE d.id = 1 AND k.name = 'attack_large';
-- Scale and bound fields are not authenticated either: a relabelled
-- scale divides the plaintext by a power of ten (decrypted below)
CREATE TABLE attack_analyst_schema.relabelled AS
    SELECT (split_part(c::text, ':', 1) || ':2:64:' || split_part(c::text, ':', 4))::paillier_ciphertext AS c
    FROM attack_data WHERE id = 3;
GRANT USAGE ON SCHEMA attack_analyst_schema TO attack_holder;
GRANT SELECT ON attack_analyst_schema.relabelled TO attack_holder;

-- Decryption for the analyst, through objects that the key holder owns
RESET ROLE;
CREATE SCHEMA attack_holder_schema AUTHORIZATION attack_holder;
GRANT USAGE ON SCHEMA attack_holder_schema TO attack_analyst;
GRANT SELECT ON attack_data TO attack_holder;
SET ROLE attack_holder;
-- a view: its functions run as the querying role, which has no grant
CREATE VIEW attack_holder_schema.decrypted AS
    SELECT id, paillier_decrypt(c, 'attack_key') AS v FROM public.attack_data;
GRANT SELECT ON attack_holder_schema.decrypted TO attack_analyst;
-- a SECURITY DEFINER function: it runs as the holder, so it decrypts
-- whatever its caller passes. The holder delegates decryption by writing
-- one (see docs/paillier.md)
CREATE FUNCTION attack_holder_schema.decrypt_for_anyone(c paillier_ciphertext) RETURNS numeric
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
RETURN ciam_privacy.paillier_decrypt(c, 'attack_key');
GRANT EXECUTE ON FUNCTION attack_holder_schema.decrypt_for_anyone(paillier_ciphertext) TO attack_analyst;
SELECT paillier_decrypt(c, 'attack_key') AS relabelled_scale_decrypts_to FROM attack_analyst_schema.relabelled;
RESET ROLE;
SET ROLE attack_analyst;
SELECT * FROM attack_holder_schema.decrypted ORDER BY id LIMIT 1;
SELECT attack_holder_schema.decrypt_for_anyone(c) AS delegated FROM attack_data WHERE id = 2;
RESET ROLE;

-- Cleanup
DROP SCHEMA attack_holder_schema, attack_analyst_schema CASCADE;
DROP TABLE attack_data, attack_key_values, attack_binary_in;
DROP FUNCTION attack_text(text, numeric, int, int), attack_binary(text, numeric, int, int),
              attack_copy_binary(bytea);
SELECT paillier_drop_key(name) FROM paillier_key WHERE name LIKE 'attack%' ORDER BY name;
DROP ROLE attack_analyst, attack_holder;
