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
    -- analyst::text is already quoted, so %I takes the name from pg_roles
    EXECUTE format('REVOKE SELECT ON %s FROM %I', view,
                   (SELECT r.rolname FROM pg_roles r WHERE r.oid = analyst));
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
    check_hint text;
BEGIN
    DELETE FROM @extschema@.published_view p
    WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = p.view)
       OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = p.analyst);
    FOR published IN SELECT p.view, p.analyst FROM @extschema@.published_view p LOOP
        BEGIN
            PERFORM @extschema@.check_published_view(published.view, published.analyst);
        EXCEPTION WHEN OTHERS THEN
            -- The failing check may come from an earlier change that fires
            -- no event trigger (CREATE DATABASE, GRANT of a role). Its own
            -- hint explains how to repair that.
            GET STACKED DIAGNOSTICS check_hint = PG_EXCEPTION_HINT;
            RAISE EXCEPTION '% rejected: view % is published to role % and would no longer pass its checks',
                tg_tag, published.view, published.analyst
                USING DETAIL = SQLERRM,
                      HINT = CASE WHEN coalesce(check_hint, '') = ''
                                  THEN 'Run ciam_privacy.unpublish_view() first if the change is intended.'
                                  ELSE check_hint || ' If the change is intended instead, run ciam_privacy.unpublish_view() first.'
                             END;
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

