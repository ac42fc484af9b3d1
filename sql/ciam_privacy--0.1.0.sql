-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ciam_privacy" to load this file. \quit

-- The schema is visible to everyone so that analysts can call the
-- aggregates and budget_status(); its tables grant nothing to PUBLIC.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

------------------------------------------------------------------------
-- Privacy budget
------------------------------------------------------------------------

-- One row per role. Epsilon is stored in units of 1e-9 so that charges add
-- up exactly. Rows are changed only by the extension's C code, in place.
CREATE TABLE @extschema@.budget (
    role regrole PRIMARY KEY,
    epsilon_limit_nanos bigint NOT NULL CHECK (epsilon_limit_nanos >= 0),
    epsilon_spent_nanos bigint NOT NULL DEFAULT 0 CHECK (epsilon_spent_nanos >= 0)
);
REVOKE ALL ON @extschema@.budget FROM PUBLIC;
COMMENT ON TABLE @extschema@.budget IS
    'Epsilon limit and spending per analyst role, in units of 1e-9; changed in place by ciam_privacy only';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.budget', '');

CREATE FUNCTION @extschema@.reject_budget_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'rows of ciam_privacy.budget cannot be updated'
        USING HINT = 'Use ciam_privacy.set_budget(); an UPDATE would lose concurrent charges.';
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.reject_budget_update() FROM PUBLIC;

CREATE TRIGGER reject_update BEFORE UPDATE ON @extschema@.budget
    FOR EACH ROW EXECUTE FUNCTION @extschema@.reject_budget_update();

CREATE FUNCTION @extschema@.set_budget(role regrole, epsilon_limit float8)
RETURNS void
AS 'MODULE_PATHNAME', 'set_budget'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION @extschema@.set_budget(regrole, float8) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.set_budget(regrole, float8) IS
    'Set the epsilon limit of a role; its spending is kept. Takes effect at once, even if the transaction rolls back';

CREATE FUNCTION @extschema@.budget_status(
    OUT role name,
    OUT epsilon_limit float8,
    OUT epsilon_spent float8,
    OUT epsilon_remaining float8)
RETURNS record
AS 'MODULE_PATHNAME', 'budget_status'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.budget_status() IS
    'Limit, spent and remaining epsilon of the login role (null amounts without a budget)';

CREATE VIEW @extschema@.budgets AS
    SELECT role,
           epsilon_limit_nanos / 1e9::float8 AS epsilon_limit,
           epsilon_spent_nanos / 1e9::float8 AS epsilon_spent,
           greatest(epsilon_limit_nanos - epsilon_spent_nanos, 0) / 1e9::float8 AS epsilon_remaining
    FROM @extschema@.budget;
REVOKE ALL ON @extschema@.budgets FROM PUBLIC;
COMMENT ON VIEW @extschema@.budgets IS
    'Every role''s budget in epsilon, for the data owner';

------------------------------------------------------------------------
-- dp_count
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.dp_count_transfn(bigint, float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_transfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_transfn(bigint, "any", float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_transfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_count_finalfn(bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dp_count_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_count(epsilon float8) (
    SFUNC = @extschema@.dp_count_transfn,
    STYPE = bigint,
    INITCOND = '0',
    FINALFUNC = @extschema@.dp_count_finalfn,
    COMBINEFUNC = pg_catalog.int8pl,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count(float8) IS
    'Number of rows plus discrete Laplace noise (sensitivity 1), at least 0';

CREATE AGGREGATE @extschema@.dp_count(value "any", epsilon float8) (
    SFUNC = @extschema@.dp_count_transfn,
    STYPE = bigint,
    INITCOND = '0',
    FINALFUNC = @extschema@.dp_count_finalfn,
    COMBINEFUNC = pg_catalog.int8pl,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_count("any", float8) IS
    'Number of non-null values plus discrete Laplace noise (sensitivity 1), at least 0';

------------------------------------------------------------------------
-- dp_avg
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.dp_avg_transfn(internal, float8, float8, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_avg_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_combinefn(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_avg_combinefn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'dp_avg_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dp_avg_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.dp_avg_finalfn(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'dp_avg_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.dp_avg(value float8, lower float8, upper float8, epsilon float8) (
    SFUNC = @extschema@.dp_avg_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.dp_avg_finalfn,
    COMBINEFUNC = @extschema@.dp_avg_combinefn,
    SERIALFUNC = @extschema@.dp_avg_serialize,
    DESERIALFUNC = @extschema@.dp_avg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.dp_avg(float8, float8, float8, float8) IS
    'Mean of values clamped to [lower, upper]: half of epsilon on a noisy sum, half on a noisy count';

-- Support functions are for the aggregates only: an analyst who could call
-- them, or build an aggregate on them, could read exact states.
REVOKE ALL ON FUNCTION
    @extschema@.dp_count_transfn(bigint, float8),
    @extschema@.dp_count_transfn(bigint, "any", float8),
    @extschema@.dp_count_finalfn(bigint),
    @extschema@.dp_avg_transfn(internal, float8, float8, float8, float8),
    @extschema@.dp_avg_combinefn(internal, internal),
    @extschema@.dp_avg_serialize(internal),
    @extschema@.dp_avg_deserialize(bytea, internal),
    @extschema@.dp_avg_finalfn(internal)
FROM PUBLIC;

------------------------------------------------------------------------
-- Privatized views
------------------------------------------------------------------------

-- The views published with publish_view(), checked again after DDL
CREATE TABLE @extschema@.published_view (
    view regclass NOT NULL,
    analyst regrole NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (view, analyst)
);
REVOKE ALL ON @extschema@.published_view FROM PUBLIC;
COMMENT ON TABLE @extschema@.published_view IS
    'Views published to analyst roles; an event trigger checks them again after each change of views, grants or indexes';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.published_view', '');

CREATE FUNCTION @extschema@.check_published_view(view regclass, analyst regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'check_published_view'
LANGUAGE C STABLE;
REVOKE ALL ON FUNCTION @extschema@.check_published_view(regclass, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.check_published_view(regclass, regrole) IS
    'Raise an error unless the view may be published to the analyst';

CREATE FUNCTION @extschema@.publish_view(view regclass, analyst regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'publish_view'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.publish_view(regclass, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.publish_view(regclass, regrole) IS
    'Check that a security_barrier view releases only DP aggregates over public keys, record it, and grant SELECT on it to the analyst';

CREATE FUNCTION @extschema@.unpublish_view(view regclass, analyst regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
BEGIN
    IF view IS NULL OR analyst IS NULL THEN
        RAISE EXCEPTION 'view and analyst must not be null';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.published_view p
                   WHERE p.view = unpublish_view.view AND p.analyst = unpublish_view.analyst) THEN
        RAISE EXCEPTION 'view % is not published to role %', view, analyst
            USING HINT = 'ciam_privacy.published_view lists the publications.';
    END IF;
    EXECUTE format('REVOKE SELECT ON %s FROM %I', view, analyst::text);
    DELETE FROM @extschema@.published_view p
    WHERE p.view = unpublish_view.view AND p.analyst = unpublish_view.analyst;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.unpublish_view(regclass, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.unpublish_view(regclass, regrole) IS
    'Revoke SELECT on a published view from the analyst and forget the publication';

-- After a change that could make a published view unsafe, check every
-- published view again; a failing check rejects the change.
CREATE FUNCTION @extschema@.recheck_published_views() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    published record;
BEGIN
    DELETE FROM @extschema@.published_view p
    WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = p.view)
       OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = p.analyst);
    FOR published IN SELECT p.view, p.analyst FROM @extschema@.published_view p LOOP
        BEGIN
            PERFORM @extschema@.check_published_view(published.view, published.analyst);
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION '% rejected: view % is published to role % and would no longer pass its checks',
                tg_tag, published.view, published.analyst
                USING DETAIL = SQLERRM,
                      HINT = 'Run ciam_privacy.unpublish_view() first if the change is intended.';
        END;
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.recheck_published_views() FROM PUBLIC;

-- Every DDL command can matter (ALTER ROUTINE, an operator class, a
-- foreign table...), so the trigger fires on all of them; DDL is rare and
-- the check reads only catalogs.
CREATE EVENT TRIGGER ciam_privacy_recheck_published_views ON ddl_command_end
    EXECUTE FUNCTION @extschema@.recheck_published_views();

------------------------------------------------------------------------
-- Statistics that count rows without noise
------------------------------------------------------------------------

-- The per-table statistics functions, the size functions and
-- pg_class.reltuples show how many rows a table contains and how many rows a
-- query read, to every role by default. This revokes them from PUBLIC in the
-- current database and grants them to pg_read_all_stats, so monitoring
-- roles keep them. publish_view() refuses analysts who can still read them.
CREATE FUNCTION @extschema@.restrict_statistics()
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    counter regprocedure;
    visible_columns text;
BEGIN
    FOR counter IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND ((p.proname LIKE 'pg\_stat\_get\_%' AND p.pronargs = 1
                AND p.proargtypes[0] = 'oid'::regtype)
               OR p.proname IN ('pg_relation_size', 'pg_table_size',
                                'pg_indexes_size', 'pg_total_relation_size',
                                'pg_database_size', 'pg_tablespace_size',
                                'pg_current_wal_lsn', 'pg_current_wal_insert_lsn',
                                'pg_current_wal_flush_lsn'))
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', counter);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pg_read_all_stats', counter);
    END LOOP;

    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO visible_columns
    FROM pg_attribute a
    WHERE a.attrelid = 'pg_catalog.pg_class'::regclass AND a.attnum > 0
      AND NOT a.attisdropped
      AND a.attname NOT IN ('reltuples', 'relpages', 'relallvisible');
    -- pg_stat_statements, where installed, counts the buffers each query read
    FOR counter IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.proname IN ('pg_stat_statements', 'pg_stat_statements_info')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', counter);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pg_read_all_stats', counter);
    END LOOP;

    REVOKE SELECT ON pg_catalog.pg_class FROM PUBLIC;
    EXECUTE format('GRANT SELECT (%s) ON pg_catalog.pg_class TO PUBLIC', visible_columns);
    GRANT SELECT ON pg_catalog.pg_class TO pg_read_all_stats;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.restrict_statistics() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.restrict_statistics() IS
    'Revoke per-table statistics, size functions and pg_class.reltuples from PUBLIC in this database (pg_read_all_stats keeps them)';

-- Without the preloaded library no query is charged, so every DP aggregate
-- raises an error. Say so now rather than at the first query.
DO $$
BEGIN
    IF pg_catalog.current_setting('shared_preload_libraries')
       !~ '(^|[\s,])"?ciam_privacy"?($|[\s,])' THEN
        RAISE WARNING 'ciam_privacy is not in shared_preload_libraries'
            USING DETAIL = 'The DP aggregates raise an error until the server loads the library at start.',
                  HINT = 'Add ciam_privacy to shared_preload_libraries and restart the server.';
    END IF;
END;
$$;
