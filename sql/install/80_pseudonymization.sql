------------------------------------------------------------------------
-- Pseudonymization: wrapped keys, grants, pseudonyms and generalization
------------------------------------------------------------------------

-- One row per version of a named key. wrapped_key is the key encrypted
-- with AES-256-GCM under a key derived from the root key, which never
-- enters the database; root_key_id is an HKDF output that names the root
-- key without revealing it. The C code reads this table directly, so the
-- roles that pseudonymize need no privilege on it. pg_dump includes the
-- rows: a restore works on a server that loads the same root key.
CREATE TABLE @extschema@.pseudonym_key (
    key_name text COLLATE "C" NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    origin text NOT NULL CHECK (origin IN ('generated', 'imported')),
    root_key_id bytea NOT NULL,
    wrapped_key bytea NOT NULL,
    PRIMARY KEY (key_name, version)
);
REVOKE ALL ON @extschema@.pseudonym_key FROM PUBLIC;
COMMENT ON TABLE @extschema@.pseudonym_key IS
    'Pseudonymization keys, one row per version, wrapped under the root key';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pseudonym_key', '');

-- The roles that may pseudonymize with a key, and the roles that have
-- their privileges. Roles with a privacy budget (analysts) are refused even
-- when a row names them.
CREATE TABLE @extschema@.pseudonym_key_grant (
    key_name text COLLATE "C" NOT NULL,
    grantee regrole NOT NULL,
    PRIMARY KEY (key_name, grantee)
);
REVOKE ALL ON @extschema@.pseudonym_key_grant FROM PUBLIC;
COMMENT ON TABLE @extschema@.pseudonym_key_grant IS
    'Roles allowed to pseudonymize with each key';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pseudonym_key_grant', '');

CREATE VIEW @extschema@.pseudonym_keys AS
    SELECT key_name, version, origin, created_at,
           version = pg_catalog.max(version) OVER (PARTITION BY key_name) AS current
    FROM @extschema@.pseudonym_key;
REVOKE ALL ON @extschema@.pseudonym_keys FROM PUBLIC;
COMMENT ON VIEW @extschema@.pseudonym_keys IS
    'Versions of each pseudonymization key, without key material';

-- Internal: the C functions that make or import a key and return it
-- wrapped. The plain key never leaves C.
CREATE FUNCTION @extschema@.generate_wrapped_key(
    key_name text, version integer,
    OUT root_key_id bytea, OUT wrapped_key bytea)
RETURNS record
AS 'MODULE_PATHNAME', 'generate_wrapped_key'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.generate_wrapped_key(text, integer) FROM PUBLIC;

CREATE FUNCTION @extschema@.wrap_key_file(
    key_name text, version integer, path text,
    OUT root_key_id bytea, OUT wrapped_key bytea)
RETURNS record
AS 'MODULE_PATHNAME', 'wrap_key_file'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.wrap_key_file(text, integer, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.root_key_status(
    OUT loaded boolean, OUT root_key_id bytea, OUT problem text)
RETURNS record
AS 'MODULE_PATHNAME', 'root_key_status'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.root_key_status() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.root_key_status() IS
    'Whether the root key was loaded at server start, its id, or why it was not';

-- Internal: drop this backend's unwrapped keys after a change to the keys.
CREATE FUNCTION @extschema@.forget_cached_keys()
RETURNS void
AS 'MODULE_PATHNAME', 'forget_cached_keys'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.forget_cached_keys() FROM PUBLIC;

-- Add a version to key_name: the first one when the key does not exist.
-- wrap_key_file() is null for a generated key.
CREATE FUNCTION @extschema@.add_key_version(key_name text, key_file text)
RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    new_version integer;
BEGIN
    -- Serializes version numbers among concurrent creations and rotations
    LOCK TABLE @extschema@.pseudonym_key IN SHARE ROW EXCLUSIVE MODE;
    SELECT coalesce(max(k.version), 0) + 1 INTO new_version
    FROM @extschema@.pseudonym_key AS k
    WHERE k.key_name = add_key_version.key_name;

    IF key_file IS NULL THEN
        INSERT INTO @extschema@.pseudonym_key
            (key_name, version, origin, root_key_id, wrapped_key)
        SELECT add_key_version.key_name, new_version, 'generated',
               w.root_key_id, w.wrapped_key
        FROM @extschema@.generate_wrapped_key(add_key_version.key_name, new_version) AS w;
    ELSE
        INSERT INTO @extschema@.pseudonym_key
            (key_name, version, origin, root_key_id, wrapped_key)
        SELECT add_key_version.key_name, new_version, 'imported',
               w.root_key_id, w.wrapped_key
        FROM @extschema@.wrap_key_file(add_key_version.key_name, new_version, key_file) AS w;
    END IF;
    PERFORM @extschema@.forget_cached_keys();
    RETURN new_version;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.add_key_version(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.create_key(key_name text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    -- The same lock as add_key_version(), so the check below still holds there
    LOCK TABLE @extschema@.pseudonym_key IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM @extschema@.pseudonym_key AS k
               WHERE k.key_name = create_key.key_name) THEN
        RAISE EXCEPTION 'pseudonymization key "%" already exists', key_name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Use ciam_privacy.rotate_key() to add a version.';
    END IF;
    RETURN @extschema@.add_key_version(key_name, NULL);
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.create_key(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.create_key(text) IS
    'Make a new random 32-byte key, stored wrapped as version 1; returns 1';

CREATE FUNCTION @extschema@.rotate_key(key_name text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    -- The same lock as add_key_version(), so the check below still holds there
    LOCK TABLE @extschema@.pseudonym_key IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.pseudonym_key AS k
                   WHERE k.key_name = rotate_key.key_name) THEN
        RAISE EXCEPTION 'pseudonymization key "%" does not exist', key_name
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN @extschema@.add_key_version(key_name, NULL);
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.rotate_key(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.rotate_key(text) IS
    'Add a new random version to a key; it becomes the current version. Returns its number';

-- Not SECURITY DEFINER: wrap_key_file() checks that the caller is a
-- superuser, since it reads a file on the server.
CREATE FUNCTION @extschema@.import_key(key_name text, path text)
RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF path IS NULL THEN
        RAISE EXCEPTION 'path must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN @extschema@.add_key_version(key_name, path);
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.import_key(text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.import_key(text, text) IS
    'Superuser only: read a key in hexadecimal from a server file readable by its owner only, and store it wrapped as the next version';

CREATE FUNCTION @extschema@.destroy_key_version(key_name text, version integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    current_version integer;
BEGIN
    DELETE FROM @extschema@.pseudonym_key AS k
    WHERE k.key_name = destroy_key_version.key_name
      AND k.version = destroy_key_version.version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'version % of pseudonymization key "%" does not exist',
            version, key_name
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.forget_cached_keys();
    SELECT max(k.version) INTO current_version
    FROM @extschema@.pseudonym_key AS k
    WHERE k.key_name = destroy_key_version.key_name;
    IF current_version < version THEN
        RAISE WARNING 'version % of key "%" is the current version again', current_version, key_name
            USING DETAIL = format('Version %s was the current version.', version),
                  HINT = 'Run ciam_privacy.rotate_key() to make a new current version.';
    END IF;
    RAISE NOTICE 'version % of key "%" is deleted', version, key_name
        USING HINT = 'After the commit, run VACUUM FULL ciam_privacy.pseudonym_key: a plain VACUUM leaves the deleted bytes in the free space of the page.';
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.destroy_key_version(text, integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.destroy_key_version(text, integer) IS
    'Delete one version of a key, so that its pseudonyms can no longer be linked to values (crypto-shredding)';

CREATE FUNCTION @extschema@.destroy_key(key_name text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    destroyed integer;
BEGIN
    DELETE FROM @extschema@.pseudonym_key AS k
    WHERE k.key_name = destroy_key.key_name;
    GET DIAGNOSTICS destroyed = ROW_COUNT;
    IF destroyed = 0 THEN
        RAISE EXCEPTION 'pseudonymization key "%" does not exist', key_name
            USING ERRCODE = 'undefined_object';
    END IF;
    DELETE FROM @extschema@.pseudonym_key_grant AS g
    WHERE g.key_name = destroy_key.key_name;
    PERFORM @extschema@.forget_cached_keys();
    RAISE NOTICE '% version(s) of key "%" are deleted', destroyed, key_name
        USING HINT = 'After the commit, run VACUUM FULL ciam_privacy.pseudonym_key: a plain VACUUM leaves the deleted bytes in the free space of the page.';
    RETURN destroyed;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.destroy_key(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.destroy_key(text) IS
    'Delete every version of a key and its grants; returns the number of versions deleted';

CREATE FUNCTION @extschema@.grant_key(key_name text, grantee regrole)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF grantee IS NULL OR grantee = 0 THEN
        RAISE EXCEPTION 'a key can only be granted to an existing role'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.pseudonym_key AS k
                   WHERE k.key_name = grant_key.key_name) THEN
        RAISE EXCEPTION 'pseudonymization key "%" does not exist', key_name
            USING ERRCODE = 'undefined_object';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.budget AS b WHERE b.role = grantee) THEN
        RAISE EXCEPTION 'role "%" has a privacy budget, and analyst roles cannot be granted keys',
            grantee
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO @extschema@.pseudonym_key_grant (key_name, grantee)
    VALUES (key_name, grantee)
    ON CONFLICT DO NOTHING;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.grant_key(text, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.grant_key(text, regrole) IS
    'Allow a role, and the roles that have its privileges, to pseudonymize with a key';

CREATE FUNCTION @extschema@.revoke_key(key_name text, grantee regrole)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
    DELETE FROM @extschema@.pseudonym_key_grant AS g
    WHERE g.key_name = revoke_key.key_name AND g.grantee = revoke_key.grantee;
    SELECT @extschema@.forget_cached_keys();
$$;
REVOKE ALL ON FUNCTION @extschema@.revoke_key(text, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.revoke_key(text, regrole) IS
    'Withdraw a grant_key(); takes effect in this session at once, in others at their next transaction';

------------------------------------------------------------------------
-- pseudonymize(): every role may call it; the C code checks the grants
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.pseudonymize(value text, key_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_text'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value text, key_name text, version integer)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_text'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value bytea, key_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_bytea'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value bytea, key_name text, version integer)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_bytea'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value bigint, key_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_bigint'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value bigint, key_name text, version integer)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_bigint'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value uuid, key_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_uuid'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value uuid, key_name text, version integer)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_uuid'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value inet, key_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_inet'
LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pseudonymize(value inet, key_name text, version integer)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_inet'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pseudonymize(text, text) IS
    'HMAC-SHA256 pseudonym "v<version>:<64 hex digits>" under the current version of a key; NULL for NULL';
COMMENT ON FUNCTION @extschema@.pseudonymize(text, text, integer) IS
    'HMAC-SHA256 pseudonym under the given version of a key';

CREATE FUNCTION @extschema@.pseudonymize_email(email text, key_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pseudonymize_email'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pseudonymize_email(text, text) IS
    'Email with its local part replaced by "v<version>." and 32 hex digits of its pseudonym; the domain is kept, in lower case';

------------------------------------------------------------------------
-- Generalization
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.generalize_ip(
    address inet, ipv4_prefix integer DEFAULT 24, ipv6_prefix integer DEFAULT 48)
RETURNS cidr
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
DECLARE
    prefix integer;
BEGIN
    IF ipv4_prefix IS NULL OR ipv4_prefix NOT BETWEEN 0 AND 32 THEN
        RAISE EXCEPTION 'ipv4_prefix % is out of range', ipv4_prefix
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use 0 to 32.';
    END IF;
    IF ipv6_prefix IS NULL OR ipv6_prefix NOT BETWEEN 0 AND 128 THEN
        RAISE EXCEPTION 'ipv6_prefix % is out of range', ipv6_prefix
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use 0 to 128.';
    END IF;
    IF address IS NULL THEN
        RETURN NULL;
    END IF;
    prefix := CASE family(address) WHEN 4 THEN ipv4_prefix ELSE ipv6_prefix END;
    -- A network already wider than the prefix stays as it is
    RETURN network(set_masklen(address, least(prefix, masklen(address))));
END;
$$;
COMMENT ON FUNCTION @extschema@.generalize_ip(inet, integer, integer) IS
    'Network of the address, truncated to a prefix (default /24 for IPv4, /48 for IPv6)';

CREATE FUNCTION @extschema@.generalize_date(value date, unit text)
RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
BEGIN
    IF unit IS NULL OR unit NOT IN ('day', 'month', 'year') THEN
        RAISE EXCEPTION 'date unit "%" is invalid', unit
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''day'', ''month'' or ''year''.';
    END IF;
    RETURN date_trunc(unit, value::timestamp)::date;
END;
$$;
COMMENT ON FUNCTION @extschema@.generalize_date(date, text) IS
    'First day of the day, month or year that contains the date';

-- STABLE: the day of a timestamptz depends on the TimeZone setting.
CREATE FUNCTION @extschema@.generalize_date(value timestamptz, unit text)
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT @extschema@.generalize_date(value::date, unit);
$$;
COMMENT ON FUNCTION @extschema@.generalize_date(timestamptz, text) IS
    'First day of the day, month or year that contains the time, in the session time zone';

-- The band of width "width" that contains value, counted from
-- lower_bound (or 0). Values below lower_bound fall in (, lower_bound),
-- values at or above upper_bound in [upper_bound, ); no band reaches past
-- upper_bound.
CREATE FUNCTION @extschema@.band(
    value numeric, width numeric,
    lower_bound numeric DEFAULT NULL, upper_bound numeric DEFAULT NULL)
RETURNS numrange
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
DECLARE
    band_start numeric;
BEGIN
    IF width IS NULL OR width <= 0 OR width = 'NaN' THEN
        RAISE EXCEPTION 'band width must be positive'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lower_bound = 'NaN' OR upper_bound = 'NaN' THEN
        RAISE EXCEPTION 'band bounds must not be NaN'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF upper_bound <= lower_bound THEN
        RAISE EXCEPTION 'upper bound % must be greater than lower bound %',
            upper_bound, lower_bound
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF value = 'NaN' THEN
        RAISE EXCEPTION 'NaN has no band' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF value < lower_bound THEN
        RETURN numrange(NULL, lower_bound, '()');
    END IF;
    IF value >= upper_bound THEN
        RETURN numrange(upper_bound, NULL, '[)');
    END IF;
    band_start := coalesce(lower_bound, 0)
                  + floor((value - coalesce(lower_bound, 0)) / width) * width;
    RETURN numrange(band_start,
                    least(band_start + width, upper_bound), '[)');
END;
$$;
COMMENT ON FUNCTION @extschema@.band(numeric, numeric, numeric, numeric) IS
    'Range [start, start + width) that contains the value; values outside [lower_bound, upper_bound) fall in open-ended ranges';

CREATE FUNCTION @extschema@.band(
    value integer, width integer,
    lower_bound integer DEFAULT NULL, upper_bound integer DEFAULT NULL)
RETURNS int4range
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN b IS NULL THEN NULL
                ELSE int4range(lower(b)::integer, upper(b)::integer, '[)') END
    FROM @extschema@.band(value::numeric, width::numeric,
                          lower_bound::numeric, upper_bound::numeric) AS b;
$$;
COMMENT ON FUNCTION @extschema@.band(integer, integer, integer, integer) IS
    'Integer band, for example band(age, 10, 20, 80): [30,40) for 34, (,20) below 20, [80,) from 80';

CREATE FUNCTION @extschema@.band(
    value bigint, width bigint,
    lower_bound bigint DEFAULT NULL, upper_bound bigint DEFAULT NULL)
RETURNS int8range
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN b IS NULL THEN NULL
                ELSE int8range(lower(b)::bigint, upper(b)::bigint, '[)') END
    FROM @extschema@.band(value::numeric, width::numeric,
                          lower_bound::numeric, upper_bound::numeric) AS b;
$$;
COMMENT ON FUNCTION @extschema@.band(bigint, bigint, bigint, bigint) IS
    'Integer band of a bigint, as band(integer, ...)';

------------------------------------------------------------------------
-- k-anonymity
------------------------------------------------------------------------

-- Runs with the caller's privileges. Every column name is checked against
-- the relation's columns and quoted with %I, and the relation is quoted by
-- regclass output, so no argument is read as SQL.
CREATE FUNCTION @extschema@.k_anonymity(relation regclass, quasi_identifiers text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    missing text;
    column_list text;
    k bigint;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'relation must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF quasi_identifiers IS NULL OR cardinality(quasi_identifiers) = 0 THEN
        RAISE EXCEPTION 'name at least one quasi-identifier column'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(quasi_identifiers, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'quasi-identifier column names must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF (SELECT count(DISTINCT q) FROM unnest(quasi_identifiers) AS q)
       <> cardinality(quasi_identifiers) THEN
        RAISE EXCEPTION 'a quasi-identifier column is named twice'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT q INTO missing
    FROM unnest(quasi_identifiers) AS q
    WHERE NOT EXISTS (SELECT 1 FROM pg_attribute AS a
                      WHERE a.attrelid = relation AND a.attname = q
                        AND a.attnum > 0 AND NOT a.attisdropped)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'column % of relation % does not exist',
            quote_ident(missing), relation
            USING ERRCODE = 'undefined_column';
    END IF;

    SELECT string_agg(format('%I', q), ', ' ORDER BY ordinality) INTO column_list
    FROM unnest(quasi_identifiers) WITH ORDINALITY AS q;
    EXECUTE format('SELECT min(group_size) FROM (SELECT count(*) AS group_size FROM %s GROUP BY %s) AS g',
                   relation, column_list)
    INTO k;
    RETURN k;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.k_anonymity(regclass, text[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.k_anonymity(regclass, text[]) IS
    'Smallest number of rows that share one combination of the quasi-identifier columns (NULLs form one group); NULL for an empty relation';
