-- Attacks on the import of python-paillier's JWK public keys: malformed
-- base64url, leading zeros, data after the padding, moduli too small.
SET client_min_messages = warning;
SET search_path = public, ciam_privacy;

SELECT length(paillier_generate_key('jwk_attack_key', 2048)) AS fingerprint_bytes;
CREATE TABLE jwk_attack AS
    SELECT paillier_export_public_key('jwk_attack_key')->'jwk'->>'n' AS n;
CREATE FUNCTION jwk_attack_import(name text, n text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN encode(paillier_import_public_jwk(name, jsonb_build_object('kty', 'DAJ', 'alg', 'PAI-GN1', 'n', n)), 'hex');
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;

-- decode() alone reads on after a '=': the check rejects such text
SELECT paillier_base64url_decode('abc=d');
SELECT paillier_base64url_decode('abc=');
SELECT paillier_base64url_decode('abc') = paillier_base64url_decode('abc=') AS padding_optional;
SELECT paillier_base64url_decode('_-8') = paillier_base64url_decode('/+8') AS standard_alphabet_accepted;
-- Malformed text: a symbol outside the alphabet, white space, a lone last
-- digit, padding in the middle or of the wrong length
SELECT paillier_base64url_decode('ab*c');
SELECT paillier_base64url_decode('ab c');
SELECT paillier_base64url_decode(E'abcd\n');
SELECT paillier_base64url_decode('abcde');
SELECT paillier_base64url_decode('ab=c');
SELECT paillier_base64url_decode('ab===');
SELECT paillier_base64url_decode('abcde=');
SELECT paillier_base64url_decode('');

-- Junk after the padding of a real modulus would otherwise give another
-- integer, sometimes accepted as a modulus: it is always an error
SELECT jwk_attack_import('jwk_junk_' || i, n || '=' || substr(md5(i::text), 1, 3)) AS junk_after_padding
FROM jwk_attack, generate_series(1, 5) i;
SELECT count(*) AS junk_keys_stored FROM paillier_key WHERE name LIKE 'jwk_junk%';
-- Leading zero bytes and padding decode to the same n: the same key
SELECT jwk_attack_import('jwk_leading_zeros', 'AAAA' || n) FROM jwk_attack;
SELECT jwk_attack_import('jwk_padded', n || '==') FROM jwk_attack;
-- Moduli too small, empty, or one digit off the end
SELECT jwk_attack_import('jwk_small', 'AQAB');
SELECT jwk_attack_import('jwk_small', repeat('_', 340));
SELECT jwk_attack_import('jwk_truncated', left(n, -1)) FROM jwk_attack;
SELECT jwk_attack_import('jwk_empty', '');
-- "n" as a number, not a string
SELECT paillier_import_public_jwk('jwk_number', '{"kty": "DAJ", "alg": "PAI-GN1", "n": 65537}');

DROP TABLE jwk_attack;
DROP FUNCTION jwk_attack_import(text, text);
SELECT paillier_drop_key('jwk_attack_key');
SELECT count(*) AS keys_left FROM paillier_key WHERE name LIKE 'jwk%';
