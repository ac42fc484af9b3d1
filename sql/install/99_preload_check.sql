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
