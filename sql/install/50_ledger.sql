------------------------------------------------------------------------
-- Ledger of charges, refusals and budget changes
------------------------------------------------------------------------

-- Rows are written by the extension's C code (src/ledger.c) outside any
-- transaction, as frozen tuples flushed to disk before a result is
-- released, so ROLLBACK and crashes do not remove them. The column order is
-- fixed by that code. No index: the C code appends without maintaining one.
CREATE TABLE @extschema@.ledger (
    recorded_at timestamptz NOT NULL,
    role regrole NOT NULL,
    role_name name NOT NULL,
    event text NOT NULL,
    epsilon_nanos bigint NOT NULL,
    delta_attos bigint NOT NULL,
    rho_nanos bigint NOT NULL,
    limit_nanos bigint NOT NULL,
    spent_nanos bigint NOT NULL,
    query_id bigint,
    description text NOT NULL,
    query_text text,
    session_user_name name NOT NULL,
    backend_pid integer NOT NULL
);
REVOKE ALL ON @extschema@.ledger FROM PUBLIC;
COMMENT ON TABLE @extschema@.ledger IS
    'Append-only record of every privacy charge, refusal and budget change; written by ciam_privacy only';
COMMENT ON COLUMN @extschema@.ledger.event IS
    'released (charged before the result was computed), refused, limit_set, spending_reset or period_renewed';
COMMENT ON COLUMN @extschema@.ledger.epsilon_nanos IS
    'Epsilon charged or refused in units of 1e-9; for limit_set the new limit';
COMMENT ON COLUMN @extschema@.ledger.query_id IS
    'Query identifier of the top-level statement, as pg_stat_statements computes it';
COMMENT ON COLUMN @extschema@.ledger.query_text IS
    'Top-level statement as the client sent it, cut at 1024 bytes';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ledger', '');

CREATE FUNCTION @extschema@.reject_ledger_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'the privacy ledger is append-only: % is not allowed', tg_op
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.reject_ledger_change() FROM PUBLIC;

CREATE TRIGGER reject_update_delete BEFORE UPDATE OR DELETE ON @extschema@.ledger
    FOR EACH ROW EXECUTE FUNCTION @extschema@.reject_ledger_change();
CREATE TRIGGER reject_truncate BEFORE TRUNCATE ON @extschema@.ledger
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.reject_ledger_change();

-- The data owner's view of the ledger, in epsilon and delta. Export with
--   COPY (SELECT * FROM ciam_privacy.ledger_entries ORDER BY recorded_at)
--   TO STDOUT WITH (FORMAT csv, HEADER)
CREATE VIEW @extschema@.ledger_entries AS
    SELECT recorded_at, role, role_name, event,
           epsilon_nanos / 1e9::float8 AS epsilon,
           delta_attos / 1e18::float8 AS delta,
           rho_nanos / 1e9::float8 AS rho,
           limit_nanos / 1e9::float8 AS epsilon_limit,
           spent_nanos / 1e9::float8 AS epsilon_spent,
           query_id, description, query_text, session_user_name, backend_pid
    FROM @extschema@.ledger;
REVOKE ALL ON @extschema@.ledger_entries FROM PUBLIC;
COMMENT ON VIEW @extschema@.ledger_entries IS
    'The privacy ledger in epsilon and delta, for the data owner';

-- Spending on this server while it is a hot standby (src/standby_budget.c)
CREATE FUNCTION @extschema@.standby_spending(OUT role regrole, OUT epsilon_spent float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'standby_spending'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@.standby_spending() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.standby_spending() IS
    'Epsilon each role spent on this server while it was a hot standby, from its own spending file';
