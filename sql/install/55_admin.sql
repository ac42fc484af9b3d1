------------------------------------------------------------------------
-- Administration of analysts, for the data owner
------------------------------------------------------------------------

-- Every function here is revoked from PUBLIC. The SQL and PL/pgSQL ones
-- run with the caller's rights: creating roles needs CREATEROLE and
-- publishing needs ownership of the view. The C ones that change the
-- budget row are SECURITY DEFINER, like set_budget().

CREATE FUNCTION @extschema@.create_analyst(
    analyst name,
    epsilon_limit float8,
    can_login boolean DEFAULT true,
    connection_limit integer DEFAULT 4,
    delta_limit float8 DEFAULT 0)
RETURNS regrole
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    writable text;
    other_databases text;
BEGIN
    IF analyst IS NULL OR epsilon_limit IS NULL OR can_login IS NULL
       OR connection_limit IS NULL OR delta_limit IS NULL THEN
        RAISE EXCEPTION 'arguments of create_analyst must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF connection_limit < 1 THEN
        RAISE EXCEPTION 'connection_limit % is out of range', connection_limit
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'An analyst needs at least one connection.';
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = analyst) THEN
        RAISE EXCEPTION 'role "%" already exists', analyst
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Give an existing role a budget with ciam_privacy.set_budget().';
    END IF;

    -- The role gets no attribute that reaches past the views. With
    -- NOINHERIT, a role granted to the analyst later gives nothing without
    -- SET ROLE, and the publication checks follow SET ROLE too.
    EXECUTE format('CREATE ROLE %I %s NOSUPERUSER NOCREATEDB NOCREATEROLE '
                   'NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT %s',
                   analyst, CASE WHEN can_login THEN 'LOGIN' ELSE 'NOLOGIN' END,
                   connection_limit);
    -- No schema the analyst can write comes first in name lookup
    EXECUTE format('ALTER ROLE %I SET search_path = pg_catalog, %I',
                   analyst, '@extschema@');
    EXECUTE format('COMMENT ON ROLE %I IS %L', analyst,
                   'ciam_privacy analyst, created by ' || session_user);
    PERFORM @extschema@.set_budget(analyst::regrole, epsilon_limit, delta_limit);

    SELECT string_agg(quote_ident(n.nspname), ', ') INTO writable
    FROM pg_namespace n
    WHERE has_schema_privilege(analyst, n.oid, 'CREATE');
    IF writable IS NOT NULL THEN
        RAISE WARNING 'analyst "%" can create objects in schema %', analyst, writable
            USING DETAIL = 'The privilege is granted to PUBLIC or to a role the analyst belongs to.',
                  HINT = 'REVOKE CREATE ON SCHEMA ... FROM PUBLIC, unless analysts should keep scratch tables there.';
    END IF;
    SELECT string_agg(quote_ident(d.datname), ', ') INTO other_databases
    FROM pg_database d
    WHERE d.datallowconn AND d.datname <> current_database()
      AND has_database_privilege(analyst, d.oid, 'CONNECT');
    IF other_databases IS NOT NULL THEN
        RAISE WARNING 'analyst "%" can connect to database %', analyst, other_databases
            USING DETAIL = 'The statistics of another database count the rows read in this one, so publish_view() rejects such an analyst.',
                  HINT = 'REVOKE CONNECT ON DATABASE ... FROM PUBLIC and grant CONNECT to the roles that need it.';
    END IF;
    RETURN analyst::regrole;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.create_analyst(name, float8, boolean, integer, float8) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.create_analyst(name, float8, boolean, integer, float8) IS
    'Create a restricted analyst role with a budget: no role attributes, NOINHERIT, a connection limit and a search_path of pg_catalog and this schema';

CREATE FUNCTION @extschema@.grant_view(view regclass, analyst regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
BEGIN
    IF view IS NULL OR analyst IS NULL THEN
        RAISE EXCEPTION 'view and analyst must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- publish_view() checks the view, the analyst and the statistics
    -- first; USAGE on the schema only makes the view reachable by name.
    PERFORM @extschema@.check_published_view(view, analyst);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I',
                   (SELECT n.nspname FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.oid = view),
                   analyst::text);
    PERFORM @extschema@.publish_view(view, analyst);
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.grant_view(regclass, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.grant_view(regclass, regrole) IS
    'Publish a privatized view to an analyst (publish_view) and grant USAGE on its schema';

CREATE FUNCTION @extschema@.revoke_view(view regclass, analyst regrole)
RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT @extschema@.unpublish_view(view, analyst);
END;
REVOKE ALL ON FUNCTION @extschema@.revoke_view(regclass, regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.revoke_view(regclass, regrole) IS
    'Revoke a published view from an analyst (unpublish_view)';

CREATE FUNCTION @extschema@.raise_budget(analyst regrole, additional_epsilon float8)
RETURNS float8
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    current_limit bigint;
    current_delta_limit bigint;
BEGIN
    IF analyst IS NULL OR additional_epsilon IS NULL THEN
        RAISE EXCEPTION 'analyst and additional_epsilon must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT (additional_epsilon > 0) THEN
        RAISE EXCEPTION 'additional_epsilon % must be positive', additional_epsilon
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ciam_privacy.set_budget() to lower a limit.';
    END IF;
    -- The row lock serializes concurrent raises; charges change the row in
    -- place under a buffer lock and are not blocked.
    SELECT b.epsilon_limit_nanos, b.delta_limit_attos
    INTO current_limit, current_delta_limit
    FROM @extschema@.budget b WHERE b.role = analyst FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" has no privacy budget', analyst
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create one with ciam_privacy.set_budget().';
    END IF;
    PERFORM @extschema@.set_budget(analyst, current_limit / 1e9::float8 + additional_epsilon,
                                   current_delta_limit / 1e18::float8);
    RETURN (SELECT b.epsilon_limit_nanos / 1e9::float8 FROM @extschema@.budget b
            WHERE b.role = analyst);
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.raise_budget(regrole, float8) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.raise_budget(regrole, float8) IS
    'Add epsilon to an analyst''s limit, keeping the delta limit, and return the new epsilon limit; recorded in the ledger';

CREATE FUNCTION @extschema@.revoke_analyst(analyst regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    published regclass;
BEGIN
    IF analyst IS NULL THEN
        RAISE EXCEPTION 'analyst must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR published IN SELECT p.view FROM @extschema@.published_view p
                     WHERE p.analyst = revoke_analyst.analyst LOOP
        PERFORM @extschema@.unpublish_view(published, analyst);
    END LOOP;
    DELETE FROM @extschema@.budget_period p WHERE p.role = analyst;
    IF EXISTS (SELECT FROM @extschema@.budget b WHERE b.role = analyst) THEN
        PERFORM @extschema@.set_budget(analyst, 0, 0);
    END IF;
    EXECUTE format('ALTER ROLE %I NOLOGIN', analyst::text);
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.revoke_analyst(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.revoke_analyst(regrole) IS
    'Unpublish every view of an analyst, end its budget period, set the limits to 0 (spending and ledger are kept) and make the role NOLOGIN';

CREATE FUNCTION @extschema@.reset_spending(analyst regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'reset_spending'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION @extschema@.reset_spending(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.reset_spending(regrole) IS
    'Set an analyst''s spending to zero, keeping the limits; stands even if the transaction rolls back, and is recorded in the ledger';

------------------------------------------------------------------------
-- Budget periods
------------------------------------------------------------------------

-- An analyst with a row here gets their spending reset at next_renewal,
-- and then every period, by renew_budgets(), which a scheduler calls.
CREATE TABLE @extschema@.budget_period (
    role regrole PRIMARY KEY,
    period interval NOT NULL CHECK (period > interval '0'),
    next_renewal timestamptz NOT NULL
);
REVOKE ALL ON @extschema@.budget_period FROM PUBLIC;
COMMENT ON TABLE @extschema@.budget_period IS
    'Budget periods: renew_budgets() resets the spending of each role at next_renewal and advances it by period';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.budget_period', '');

CREATE FUNCTION @extschema@.start_budget_period(analyst regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'start_budget_period'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION @extschema@.start_budget_period(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.start_budget_period(regrole) IS
    'Reset an analyst''s spending as the start of a budget period; for renew_budgets() only';

CREATE FUNCTION @extschema@.set_budget_period(
    analyst regrole,
    period interval,
    first_renewal timestamptz DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
BEGIN
    IF analyst IS NULL OR period IS NULL THEN
        RAISE EXCEPTION 'analyst and period must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT (period > interval '0') THEN
        RAISE EXCEPTION 'period % must be positive', period
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.budget b WHERE b.role = analyst) THEN
        RAISE EXCEPTION 'role "%" has no privacy budget', analyst
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create one with ciam_privacy.set_budget().';
    END IF;
    INSERT INTO @extschema@.budget_period AS p (role, period, next_renewal)
    VALUES (analyst, period, coalesce(first_renewal, now() + period))
    ON CONFLICT (role) DO UPDATE
        SET period = excluded.period, next_renewal = excluded.next_renewal;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.set_budget_period(regrole, interval, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.set_budget_period(regrole, interval, timestamptz) IS
    'Renew an analyst''s budget every period, first at first_renewal (default: one period from now); renew_budgets() does the renewals';

-- Advance the renewal of one role past now if it is due, holding its row
-- lock until the caller commits. Returns whether the role was due.
CREATE FUNCTION @extschema@.advance_budget_period(analyst regrole)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    renewal timestamptz;
    period interval;
    skipped float8;
BEGIN
    SELECT p.next_renewal, p.period INTO renewal, period
    FROM @extschema@.budget_period p
    WHERE p.role = analyst AND p.next_renewal <= clock_timestamp()
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    -- Periods missed while no renewal ran are skipped, not added up. The
    -- estimate jumps close to now (months vary in length), then whole
    -- periods are added until the renewal lies in the future.
    skipped := floor(extract(epoch FROM clock_timestamp() - renewal) /
                     extract(epoch FROM period)) - 1;
    IF skipped > 0 THEN
        renewal := renewal + period * skipped;
    END IF;
    WHILE renewal <= clock_timestamp() LOOP
        renewal := renewal + period;
    END LOOP;
    UPDATE @extschema@.budget_period p SET next_renewal = renewal
    WHERE p.role = analyst;
    RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.advance_budget_period(regrole) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.advance_budget_period(regrole) IS
    'Advance a due budget period past now; for renew_budgets() only';

-- A renewal commits the advance of next_renewal before it resets the
-- spending in place. A second renew_budgets() running at the same time
-- waits on the row lock, then finds the period advanced and skips it. A
-- crash between the two commits leaves the period advanced and the
-- spending not reset: the analyst misses one renewal, never gets two.
-- A procedure with a SET clause cannot commit, so this one names every
-- object with its schema instead of pinning search_path.
CREATE PROCEDURE @extschema@.renew_budgets()
LANGUAGE plpgsql AS $$
DECLARE
    due record;
BEGIN
    FOR due IN SELECT p.role FROM @extschema@.budget_period p
               WHERE p.next_renewal OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LOOP
        IF @extschema@.advance_budget_period(due.role) THEN
            COMMIT;
            PERFORM @extschema@.start_budget_period(due.role);
        END IF;
        COMMIT;
    END LOOP;
END;
$$;
REVOKE ALL ON PROCEDURE @extschema@.renew_budgets() FROM PUBLIC;
COMMENT ON PROCEDURE @extschema@.renew_budgets() IS
    'Reset the spending of every analyst whose budget period has ended, and advance the period; run it from a scheduler, outside a transaction block';
