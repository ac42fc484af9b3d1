-- Decryption rights, and what an analyst without them learns by trying.
SET client_min_messages = warning;
SET search_path = public, ciam_privacy;

CREATE ROLE paillier_analyst;
CREATE ROLE paillier_holder;
CREATE ROLE paillier_holder_member IN ROLE paillier_holder;
SELECT length(paillier_generate_key('access_key', 2048)) AS fingerprint_bytes;
SELECT paillier_grant_decrypt('access_key', 'paillier_holder');
SELECT paillier_grant_decrypt('no_such_key', 'paillier_holder');

CREATE TABLE access_data AS
    SELECT g AS id, g % 3 AS grp, g * 100 AS gain, paillier_encrypt(g * 100::bigint, 'access_key') AS gain_enc
    FROM generate_series(1, 30) g;
CREATE TABLE access_expected AS SELECT grp, sum(gain) AS total FROM access_data GROUP BY grp;
ALTER TABLE access_data DROP COLUMN gain;
GRANT SELECT ON access_data TO paillier_analyst;
GRANT SELECT ON access_expected TO paillier_holder;
CREATE SCHEMA access_evil AUTHORIZATION paillier_analyst;
GRANT CREATE ON SCHEMA public TO paillier_analyst;

SET ROLE paillier_analyst;
-- The analyst sums per group and keeps the encrypted totals
CREATE TABLE public.access_sums AS
    SELECT grp, paillier_add(gain_enc) AS total FROM access_data GROUP BY grp;
GRANT SELECT ON public.access_sums TO paillier_holder;
-- and may encrypt, add and multiply with the public key
SELECT paillier_ciphertext_key(paillier_encrypt(1::bigint, 'access_key') * 3 + paillier_encrypt(2::bigint, 'access_key'))
    AS key_of_result;

-- Decryption is refused before the ciphertext is read: the same error for
-- a sum, a fresh ciphertext of 0, of a large value, and an invalid
-- datum, so the refusal reveals nothing about any plaintext
SELECT paillier_decrypt(total, 'access_key') FROM public.access_sums ORDER BY grp LIMIT 1;
SELECT paillier_decrypt(paillier_encrypt(0::bigint, 'access_key'), 'access_key');
SELECT paillier_decrypt(paillier_encrypt(9223372036854775807::bigint, 'access_key'), 'access_key');
SELECT paillier_decrypt(paillier_encrypt(1::bigint, 'access_key') * 0, 'access_key');

-- The private key and the grant list cannot be read or changed
SELECT count(*) FROM paillier_private_key;
SELECT count(*) FROM paillier_decrypt_grant;
INSERT INTO paillier_decrypt_grant SELECT fingerprint, 'paillier_analyst' FROM paillier_key;
UPDATE paillier_key SET name = 'renamed';
SELECT paillier_grant_decrypt('access_key', 'paillier_analyst');
SELECT paillier_import_private_key_file('access_key', '/nonexistent/access.prime');
SELECT paillier_drop_key('access_key');
SELECT paillier_generate_key('analyst_key', 2048);
SELECT paillier_import_public_key('analyst_key', 2::numeric ^ 2047 + 9);
SELECT paillier_import_public_key_c('analyst_key', '\x01', NULL);
-- Public keys are public
SELECT count(*) AS public_keys_visible FROM paillier_key WHERE name = 'access_key';

-- The lookups run as the owner of the key tables; an operator of the
-- analyst's own, placed before pg_catalog in search_path, is never called
CREATE FUNCTION access_evil.spy_bytea(bytea, bytea) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    RAISE WARNING 'operator of the analyst ran as %', current_user;
    RETURN $1 OPERATOR(pg_catalog.=) $2;
END;
$$;
CREATE FUNCTION access_evil.spy_text(text, text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    RAISE WARNING 'operator of the analyst ran as %', current_user;
    RETURN $1 OPERATOR(pg_catalog.=) $2;
END;
$$;
CREATE OPERATOR access_evil.= (LEFTARG = bytea, RIGHTARG = bytea, FUNCTION = access_evil.spy_bytea);
CREATE OPERATOR access_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = access_evil.spy_text);
SET search_path = access_evil, public, ciam_privacy, pg_catalog;
-- Control: an unqualified comparison in this session does call it
SELECT 'x'::text = 'x'::text AS control_calls_spy;
SELECT paillier_ciphertext_key(paillier_encrypt(5::bigint, 'access_key')) AS key_of_result;
SELECT paillier_decrypt(paillier_encrypt(5::bigint, 'access_key'), 'access_key');
SET search_path = public, ciam_privacy;
RESET ROLE;

-- A member of the granted role decrypts the analyst's totals
SET ROLE paillier_holder_member;
SELECT s.grp, paillier_decrypt(s.total, 'access_key') = e.total AS total_matches
FROM public.access_sums s JOIN public.access_expected e USING (grp) ORDER BY s.grp;
RESET ROLE;
SET ROLE paillier_holder;
SELECT count(*) FROM paillier_private_key;
RESET ROLE;

-- After the grant is revoked, decryption is refused again
SELECT paillier_revoke_decrypt('access_key', 'paillier_holder');
SET ROLE paillier_holder_member;
SELECT paillier_decrypt(total, 'access_key') FROM public.access_sums ORDER BY grp LIMIT 1;
RESET ROLE;

-- A role with a privacy budget cannot be granted decryption, because
-- decrypted sums are exact, without noise or charge. Decryption is also
-- rejected for a grantee that is given a budget later, and for a member of
-- a grantee whose session logs in as a role with a budget
SELECT paillier_grant_decrypt('access_key', 'paillier_holder');
CREATE ROLE paillier_budget_analyst;
SELECT set_budget('paillier_budget_analyst', 1);
SELECT paillier_grant_decrypt('access_key', 'paillier_budget_analyst');
SELECT set_budget('paillier_holder_member', 1);
SET ROLE paillier_holder_member;
SELECT paillier_decrypt(total, 'access_key') FROM public.access_sums ORDER BY grp LIMIT 1;
RESET ROLE;
SELECT paillier_revoke_decrypt('access_key', 'paillier_holder');

-- Cleanup
DROP TABLE public.access_sums, access_data, access_expected;
DROP SCHEMA access_evil CASCADE;
REVOKE CREATE ON SCHEMA public FROM paillier_analyst;
SELECT paillier_drop_key('access_key');
DROP ROLE paillier_analyst, paillier_holder_member, paillier_holder, paillier_budget_analyst;
