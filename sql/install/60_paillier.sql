------------------------------------------------------------------------
-- Paillier encryption: sums over values the database cannot read
------------------------------------------------------------------------

-- Public keys: readable by everyone. n and g are big-endian unsigned bytes;
-- the fingerprint is the first 16 bytes of SHA-256 over both.
CREATE TABLE @extschema@.paillier_key (
    name text PRIMARY KEY,
    fingerprint bytea NOT NULL UNIQUE,
    modulus_bits int NOT NULL,
    n bytea NOT NULL,
    g bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by name NOT NULL DEFAULT CURRENT_USER
);
REVOKE ALL ON @extschema@.paillier_key FROM PUBLIC;
GRANT SELECT ON @extschema@.paillier_key TO PUBLIC;
COMMENT ON TABLE @extschema@.paillier_key IS
    'Paillier public keys, by name; change them only through the paillier_* functions';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.paillier_key', '');

-- Private keys: the primes p and q. Readable by no one but the owner; the
-- C code reads a row only for a role listed in paillier_decrypt_grant.
CREATE TABLE @extschema@.paillier_private_key (
    fingerprint bytea PRIMARY KEY
        REFERENCES @extschema@.paillier_key (fingerprint) ON DELETE CASCADE,
    p bytea NOT NULL,
    q bytea NOT NULL
);
REVOKE ALL ON @extschema@.paillier_private_key FROM PUBLIC;
COMMENT ON TABLE @extschema@.paillier_private_key IS
    'Paillier private keys (primes p and q); read only by paillier_decrypt() for granted roles';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.paillier_private_key', '');

-- The roles allowed to decrypt with each key (members of a listed role too).
CREATE TABLE @extschema@.paillier_decrypt_grant (
    fingerprint bytea NOT NULL
        REFERENCES @extschema@.paillier_key (fingerprint) ON DELETE CASCADE,
    grantee regrole NOT NULL,
    PRIMARY KEY (fingerprint, grantee)
);
REVOKE ALL ON @extschema@.paillier_decrypt_grant FROM PUBLIC;
COMMENT ON TABLE @extschema@.paillier_decrypt_grant IS
    'Roles that may decrypt with each Paillier key';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.paillier_decrypt_grant', '');

------------------------------------------------------------------------
-- The ciphertext type
------------------------------------------------------------------------

CREATE TYPE @extschema@.paillier_ciphertext;

CREATE FUNCTION @extschema@.paillier_ciphertext_in(cstring)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_ciphertext_in'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.paillier_ciphertext_out(@extschema@.paillier_ciphertext)
RETURNS cstring
AS 'MODULE_PATHNAME', 'paillier_ciphertext_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.paillier_ciphertext_recv(internal)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_ciphertext_recv'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.paillier_ciphertext_send(@extschema@.paillier_ciphertext)
RETURNS bytea
AS 'MODULE_PATHNAME', 'paillier_ciphertext_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Ciphertexts do not compress: keep them out of pglz.
CREATE TYPE @extschema@.paillier_ciphertext (
    INPUT = @extschema@.paillier_ciphertext_in,
    OUTPUT = @extschema@.paillier_ciphertext_out,
    RECEIVE = @extschema@.paillier_ciphertext_recv,
    SEND = @extschema@.paillier_ciphertext_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = external
);
COMMENT ON TYPE @extschema@.paillier_ciphertext IS
    'Paillier ciphertext with its key fingerprint, decimal scale and magnitude bound';

------------------------------------------------------------------------
-- Keys
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.paillier_generate_key(name text, bits int DEFAULT 3072)
RETURNS bytea
AS 'MODULE_PATHNAME', 'paillier_generate_key_c'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@.paillier_generate_key(text, int) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.paillier_generate_key(text, int) IS
    'Generate a Paillier key pair (g = n + 1) of the given modulus size and store it; returns the fingerprint';

CREATE FUNCTION @extschema@.paillier_import_public_key_c(text, bytea, bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'paillier_import_public_key_c'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.paillier_import_public_key_c(text, bytea, bytea) FROM PUBLIC;

CREATE FUNCTION @extschema@.paillier_bytes_to_numeric(bytea)
RETURNS numeric
AS 'MODULE_PATHNAME', 'paillier_bytes_to_numeric'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_bytes_to_numeric(bytea) IS
    'Unsigned big-endian bytes as an integer';

CREATE FUNCTION @extschema@.paillier_numeric_to_bytes(numeric)
RETURNS bytea
AS 'MODULE_PATHNAME', 'paillier_numeric_to_bytes'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_numeric_to_bytes(numeric) IS
    'A non-negative integer as unsigned big-endian bytes';

CREATE FUNCTION @extschema@.paillier_import_public_key(name text, n numeric, g numeric DEFAULT NULL)
RETURNS bytea
LANGUAGE sql VOLATILE SET search_path = pg_catalog
RETURN @extschema@.paillier_import_public_key_c(
    name, @extschema@.paillier_numeric_to_bytes(n), @extschema@.paillier_numeric_to_bytes(g));
REVOKE ALL ON FUNCTION @extschema@.paillier_import_public_key(text, numeric, numeric) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.paillier_import_public_key(text, numeric, numeric) IS
    'Store a public key made elsewhere (n, and g or NULL for n + 1); returns the fingerprint';

-- Decode base64url without padding, as RFC 7515 appendix C defines it.
CREATE FUNCTION @extschema@.paillier_base64url_decode(value text)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog
RETURN decode(translate(value, '-_', '+/') || repeat('=', (4 - length(value) % 4) % 4), 'base64');

CREATE FUNCTION @extschema@.paillier_base64url_encode(value bytea)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog
RETURN rtrim(translate(encode(value, 'base64'), E'+/\n', '-_'), '=');

-- python-paillier's JSON form of a public key: {"kty": "DAJ", "alg":
-- "PAI-GN1", "key_ops": ["encrypt"], "n": base64url of n, "kid": ...}, as
-- phe/util.py int_to_base64 writes n; PAI-GN1 means g = n + 1.
CREATE FUNCTION @extschema@.paillier_import_public_jwk(name text, jwk jsonb)
RETURNS bytea
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
BEGIN
    IF jwk->>'kty' IS DISTINCT FROM 'DAJ' OR jwk->>'alg' IS DISTINCT FROM 'PAI-GN1'
       OR jsonb_typeof(jwk->'n') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'invalid Paillier public key in JWK form'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Expected "kty": "DAJ", "alg": "PAI-GN1" and "n" as a base64url string.';
    END IF;
    RETURN @extschema@.paillier_import_public_key_c(
        name, @extschema@.paillier_base64url_decode(jwk->>'n'), NULL);
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.paillier_import_public_jwk(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.paillier_import_public_jwk(text, jsonb) IS
    'Store a public key given in python-paillier''s JWK form; returns the fingerprint';

CREATE FUNCTION @extschema@.paillier_export_public_key(name text)
RETURNS jsonb
LANGUAGE sql STABLE STRICT SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'name', k.name,
        'fingerprint', encode(k.fingerprint, 'hex'),
        'modulus_bits', k.modulus_bits,
        'n', @extschema@.paillier_bytes_to_numeric(k.n)::text,
        'g', @extschema@.paillier_bytes_to_numeric(k.g)::text,
        'jwk', CASE WHEN k.g = @extschema@.paillier_numeric_to_bytes(
                             @extschema@.paillier_bytes_to_numeric(k.n) + 1)
               THEN jsonb_build_object(
                   'kty', 'DAJ', 'alg', 'PAI-GN1', 'key_ops', jsonb_build_array('encrypt'),
                   'n', @extschema@.paillier_base64url_encode(k.n),
                   'kid', encode(k.fingerprint, 'hex'))
               END)
    FROM @extschema@.paillier_key AS k
    WHERE k.name = paillier_export_public_key.name;
END;
COMMENT ON FUNCTION @extschema@.paillier_export_public_key(text) IS
    'A public key as JSON: n and g in decimal, and the JWK form of python-paillier when g = n + 1';

CREATE FUNCTION @extschema@.paillier_import_private_key(name text, p text)
RETURNS void
AS 'MODULE_PATHNAME', 'paillier_import_private_key_c'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.paillier_import_private_key(text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.paillier_import_private_key(text, text) IS
    'Store the prime p (decimal) of an imported key; pass it as a bind parameter (see docs/paillier.md)';

CREATE FUNCTION @extschema@.paillier_grant_decrypt(name text, grantee regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    key_fingerprint bytea;
BEGIN
    SELECT k.fingerprint INTO key_fingerprint
    FROM @extschema@.paillier_key AS k WHERE k.name = paillier_grant_decrypt.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Paillier key "%" does not exist', name
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO @extschema@.paillier_decrypt_grant (fingerprint, grantee)
    VALUES (key_fingerprint, paillier_grant_decrypt.grantee)
    ON CONFLICT DO NOTHING;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.paillier_grant_decrypt(text, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.paillier_grant_decrypt(text, regrole) IS
    'Allow a role (and its members) to decrypt with a key';

CREATE FUNCTION @extschema@.paillier_revoke_decrypt(name text, grantee regrole)
RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog
BEGIN ATOMIC
    DELETE FROM @extschema@.paillier_decrypt_grant AS d
    USING @extschema@.paillier_key AS k
    WHERE k.fingerprint = d.fingerprint
      AND k.name = paillier_revoke_decrypt.name
      AND d.grantee = paillier_revoke_decrypt.grantee;
END;
REVOKE ALL ON FUNCTION @extschema@.paillier_revoke_decrypt(text, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.paillier_revoke_decrypt(text, regrole) IS
    'Withdraw a role''s right to decrypt with a key';

------------------------------------------------------------------------
-- Encryption, arithmetic, decryption
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.paillier_encrypt(value bigint, key text)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_encrypt_bigint'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_encrypt(bigint, text) IS
    'Encrypt an integer with the named public key';

CREATE FUNCTION @extschema@.paillier_encrypt(value numeric, key text, scale int)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_encrypt_numeric'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_encrypt(numeric, text, int) IS
    'Encrypt value * 10^scale (no rounding; |value * 10^scale| < 2^127) with the named public key';

CREATE FUNCTION @extschema@.paillier_decrypt(c @extschema@.paillier_ciphertext, key text)
RETURNS numeric
AS 'MODULE_PATHNAME', 'paillier_decrypt'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.paillier_decrypt(@extschema@.paillier_ciphertext, text) IS
    'Decrypt with the named key; only for roles granted by paillier_grant_decrypt()';

CREATE FUNCTION @extschema@.paillier_add(c1 @extschema@.paillier_ciphertext, c2 @extschema@.paillier_ciphertext)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_add'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_add(@extschema@.paillier_ciphertext, @extschema@.paillier_ciphertext) IS
    'Ciphertext of the sum of two plaintexts';

CREATE FUNCTION @extschema@.paillier_sub(c1 @extschema@.paillier_ciphertext, c2 @extschema@.paillier_ciphertext)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_sub'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_sub(@extschema@.paillier_ciphertext, @extschema@.paillier_ciphertext) IS
    'Ciphertext of the difference of two plaintexts';

CREATE FUNCTION @extschema@.paillier_mul(c @extschema@.paillier_ciphertext, k bigint)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_mul'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_mul(@extschema@.paillier_ciphertext, bigint) IS
    'Ciphertext of the plaintext times an integer scalar (negative allowed)';

CREATE FUNCTION @extschema@.paillier_mul(k bigint, c @extschema@.paillier_ciphertext)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_mul_commuted'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_mul(bigint, @extschema@.paillier_ciphertext) IS
    'Ciphertext of an integer scalar times the plaintext';

CREATE FUNCTION @extschema@.paillier_rerandomize(c @extschema@.paillier_ciphertext)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_rerandomize'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_rerandomize(@extschema@.paillier_ciphertext) IS
    'A fresh ciphertext of the same plaintext, unlinkable to the input';

CREATE OPERATOR @extschema@.+ (
    LEFTARG = @extschema@.paillier_ciphertext,
    RIGHTARG = @extschema@.paillier_ciphertext,
    FUNCTION = @extschema@.paillier_add,
    COMMUTATOR = OPERATOR(@extschema@.+)
);
CREATE OPERATOR @extschema@.- (
    LEFTARG = @extschema@.paillier_ciphertext,
    RIGHTARG = @extschema@.paillier_ciphertext,
    FUNCTION = @extschema@.paillier_sub
);
CREATE OPERATOR @extschema@.* (
    LEFTARG = @extschema@.paillier_ciphertext,
    RIGHTARG = bigint,
    FUNCTION = @extschema@.paillier_mul,
    COMMUTATOR = OPERATOR(@extschema@.*)
);
CREATE OPERATOR @extschema@.* (
    LEFTARG = bigint,
    RIGHTARG = @extschema@.paillier_ciphertext,
    FUNCTION = @extschema@.paillier_mul,
    COMMUTATOR = OPERATOR(@extschema@.*)
);

------------------------------------------------------------------------
-- The sum aggregate
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.paillier_sum_transfn(internal, @extschema@.paillier_ciphertext)
RETURNS internal
AS 'MODULE_PATHNAME', 'paillier_sum_transfn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.paillier_sum_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'paillier_sum_combinefn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.paillier_sum_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'paillier_sum_serialize'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.paillier_sum_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'paillier_sum_deserialize'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.paillier_sum_finalfn(internal)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_sum_finalfn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.paillier_add(@extschema@.paillier_ciphertext) (
    SFUNC = @extschema@.paillier_sum_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.paillier_sum_finalfn,
    COMBINEFUNC = @extschema@.paillier_sum_combinefn,
    SERIALFUNC = @extschema@.paillier_sum_serialize,
    DESERIALFUNC = @extschema@.paillier_sum_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.paillier_add(@extschema@.paillier_ciphertext) IS
    'Ciphertext of the sum of the plaintexts; NULL for no rows';

------------------------------------------------------------------------
-- Import and inspection of ciphertexts
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.paillier_ciphertext(c numeric, key text, scale int DEFAULT 0, bound int DEFAULT 64)
RETURNS @extschema@.paillier_ciphertext
AS 'MODULE_PATHNAME', 'paillier_ciphertext_import'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_ciphertext(numeric, text, int, int) IS
    'A ciphertext made elsewhere, from its decimal value; bound B states |plaintext| < 2^B';

CREATE FUNCTION @extschema@.paillier_ciphertext_value(c @extschema@.paillier_ciphertext)
RETURNS numeric
AS 'MODULE_PATHNAME', 'paillier_ciphertext_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_ciphertext_value(@extschema@.paillier_ciphertext) IS
    'The ciphertext as a decimal integer, for python-paillier and paillier-bigint';

CREATE FUNCTION @extschema@.paillier_ciphertext_key(c @extschema@.paillier_ciphertext)
RETURNS text
AS 'MODULE_PATHNAME', 'paillier_ciphertext_key'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_ciphertext_key(@extschema@.paillier_ciphertext) IS
    'Name of the key a ciphertext belongs to';

CREATE FUNCTION @extschema@.paillier_ciphertext_scale(c @extschema@.paillier_ciphertext)
RETURNS int
AS 'MODULE_PATHNAME', 'paillier_ciphertext_scale'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paillier_ciphertext_scale(@extschema@.paillier_ciphertext) IS
    'Decimal scale of a ciphertext: the plaintext is an integer / 10^scale';

-- python-paillier's JSON form of an EncryptedNumber: {"v": "<decimal c>",
-- "e": exponent}, where the plaintext is mantissa * 16^e. Only e = 0
-- (integers) has an exact decimal scale, so other exponents are rejected.
CREATE FUNCTION @extschema@.paillier_ciphertext_from_phe(value jsonb, key text, bound int DEFAULT 64)
RETURNS @extschema@.paillier_ciphertext
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
BEGIN
    IF jsonb_typeof(value->'v') IS DISTINCT FROM 'string'
       OR coalesce(value->>'e', '0') <> '0' THEN
        RAISE EXCEPTION 'invalid python-paillier ciphertext'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Expected "v" as a decimal string and "e" equal to 0 (an integer plaintext).';
    END IF;
    RETURN @extschema@.paillier_ciphertext((value->>'v')::numeric, key, 0, bound);
END;
$$;
COMMENT ON FUNCTION @extschema@.paillier_ciphertext_from_phe(jsonb, text, int) IS
    'A ciphertext in python-paillier''s JSON form {"v": ..., "e": 0}';

CREATE FUNCTION @extschema@.paillier_ciphertext_to_phe(c @extschema@.paillier_ciphertext)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
BEGIN
    IF @extschema@.paillier_ciphertext_scale(c) <> 0 THEN
        RAISE EXCEPTION 'cannot express a ciphertext of scale % in python-paillier''s form',
                        @extschema@.paillier_ciphertext_scale(c)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'python-paillier exponents are powers of 16; only scale 0 converts exactly.';
    END IF;
    RETURN jsonb_build_object('v', @extschema@.paillier_ciphertext_value(c)::text, 'e', 0);
END;
$$;
COMMENT ON FUNCTION @extschema@.paillier_ciphertext_to_phe(@extschema@.paillier_ciphertext) IS
    'A ciphertext of scale 0 in python-paillier''s JSON form {"v": ..., "e": 0}';

CREATE FUNCTION @extschema@.paillier_drop_key(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM @extschema@.paillier_key AS k WHERE k.name = paillier_drop_key.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Paillier key "%" does not exist', name
            USING ERRCODE = 'undefined_object';
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.paillier_drop_key(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.paillier_drop_key(text) IS
    'Delete a key, its private part and its grants; its ciphertexts can no longer be read or entered';
