------------------------------------------------------------------------
-- Statistics that count rows without noise
------------------------------------------------------------------------

-- The per-table statistics functions, the size functions and
-- pg_class.reltuples show how many rows a table contains and how many rows a
-- query read, to every role by default. So do the server-wide counters of
-- pg_stat_bgwriter, pg_stat_wal and pg_stat_slru on a quiet server: a query
-- on a table that is not cached allocates one buffer per page it reads.
-- pg_locks (pg_lock_status) shows which views another session has locked,
-- when and for how long, and each charge as a lock on the budget.
-- This revokes them from PUBLIC in the current database and grants them to
-- pg_read_all_stats, so monitoring roles keep them. publish_view() refuses
-- analysts who can still read them.
CREATE FUNCTION @extschema@.restrict_statistics()
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
    counters text;
    visible_columns text;
BEGIN
    -- pg_stat_statements, where installed, counts the buffers each query
    -- read. All functions go in one REVOKE: the event trigger checks the
    -- published views after each statement, and would reject a revocation
    -- that still left some counter readable.
    SELECT string_agg(p.oid::regprocedure::text, ', ') INTO counters
    FROM pg_proc p
    WHERE (p.pronamespace = 'pg_catalog'::regnamespace
           AND ((p.proname LIKE 'pg\_stat\_get\_%' AND p.pronargs = 1
                 AND p.proargtypes[0] = 'oid'::regtype)
                OR p.proname IN ('pg_relation_size', 'pg_table_size',
                                 'pg_indexes_size', 'pg_total_relation_size',
                                 'pg_database_size', 'pg_tablespace_size',
                                 'pg_current_wal_lsn', 'pg_current_wal_insert_lsn',
                                 'pg_current_wal_flush_lsn',
                                 'pg_stat_get_buf_alloc', 'pg_stat_get_wal',
                                 'pg_stat_get_slru',
                                 'pg_stat_get_buf_written_backend',
                                 'pg_stat_get_buf_fsync_backend',
                                 'pg_stat_get_bgwriter_buf_written_checkpoints',
                                 'pg_stat_get_bgwriter_buf_written_clean',
                                 'pg_stat_get_bgwriter_maxwritten_clean',
                                 'pg_stat_get_bgwriter_timed_checkpoints',
                                 'pg_stat_get_bgwriter_requested_checkpoints',
                                 'pg_stat_get_checkpoint_write_time',
                                 'pg_stat_get_checkpoint_sync_time',
                                 'pg_lock_status')))
       OR p.proname IN ('pg_stat_statements', 'pg_stat_statements_info');
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', counters);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pg_read_all_stats', counters);

    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO visible_columns
    FROM pg_attribute a
    WHERE a.attrelid = 'pg_catalog.pg_class'::regclass AND a.attnum > 0
      AND NOT a.attisdropped
      AND a.attname NOT IN ('reltuples', 'relpages', 'relallvisible');

    REVOKE SELECT ON pg_catalog.pg_class FROM PUBLIC;
    EXECUTE format('GRANT SELECT (%s) ON pg_catalog.pg_class TO PUBLIC', visible_columns);
    GRANT SELECT ON pg_catalog.pg_class TO pg_read_all_stats;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.restrict_statistics() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.restrict_statistics() IS
    'Revoke per-table statistics, server-wide buffer, WAL and SLRU counters, pg_locks, size functions and pg_class.reltuples from PUBLIC in this database (pg_read_all_stats keeps them)';

