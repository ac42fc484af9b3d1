#!/usr/bin/env bash
# An analyst (a login role with a privacy budget) attacks the keys from
# their own session. The attacks go directly, through a SECURITY DEFINER
# function of a role that has a grant or of a superuser, and through the
# internal wrapping functions, the key tables and the root key settings.
# Every attempt must fail without revealing key material. Runs on the test
# cluster.
set -euo pipefail

: "${PGDATABASE:?run from scripts/test.sh, which sets PGDATABASE}"
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DROP FUNCTION IF EXISTS public.loader_pseudonym(text);
DROP FUNCTION IF EXISTS public.owner_pseudonym(text);
DROP ROLE IF EXISTS regress_login_analyst;
DROP ROLE IF EXISTS regress_login_loader;
CREATE ROLE regress_login_analyst LOGIN;
CREATE ROLE regress_login_loader;
GRANT USAGE ON SCHEMA ciam_privacy TO regress_login_loader;
SELECT ciam_privacy.set_budget('regress_login_analyst', 1) \g /dev/null
SELECT ciam_privacy.create_key('login_test') \g /dev/null
SELECT ciam_privacy.grant_key('login_test', 'regress_login_loader') \g /dev/null
-- The loader offers its key through a function: the login check stops it
CREATE FUNCTION public.loader_pseudonym(value text) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$ SELECT ciam_privacy.pseudonymize(value, 'login_test') $$;
ALTER FUNCTION public.loader_pseudonym(text) OWNER TO regress_login_loader;
GRANT EXECUTE ON FUNCTION public.loader_pseudonym(text) TO regress_login_analyst;
-- The same, owned by a superuser
CREATE FUNCTION public.owner_pseudonym(value text) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
AS $$ SELECT ciam_privacy.pseudonymize(value, 'login_test') $$;
GRANT EXECUTE ON FUNCTION public.owner_pseudonym(text) TO regress_login_analyst;
SQL

# Run SQL as the analyst; print output and errors.
as_analyst() {
    psql -X -At -U regress_login_analyst -c "$1" 2>&1 || true
}

expect_error() {
    local label=$1 sql=$2 pattern=$3 output
    output=$(as_analyst "$sql")
    if grep -q "$pattern" <<<"$output"; then
        echo "ok: $label"
    else
        fail "$label: expected \"$pattern\", got: $output"
    fi
    if grep -qiE '[0-9a-f]{64}' <<<"$output"; then
        fail "$label: the output contains 64 hexadecimal digits"
    fi
}

expect_error "direct call" \
    "SELECT ciam_privacy.pseudonymize('alice'::text, 'login_test')" \
    'has a privacy budget, and analyst roles cannot pseudonymize'
expect_error "through a SECURITY DEFINER function of a granted role" \
    "SELECT public.loader_pseudonym('alice')" \
    'has a privacy budget, and analyst roles cannot pseudonymize'
expect_error "through a SECURITY DEFINER function of a superuser" \
    "SELECT public.owner_pseudonym('alice')" \
    'has a privacy budget, and analyst roles cannot pseudonymize'
expect_error "email helper" \
    "SELECT ciam_privacy.pseudonymize_email('alice@example.com', 'login_test')" \
    'analyst roles cannot pseudonymize'
expect_error "wrapped key table" \
    "SELECT * FROM ciam_privacy.pseudonym_key" 'permission denied'
expect_error "grant table" \
    "SELECT * FROM ciam_privacy.pseudonym_key_grant" 'permission denied'
expect_error "generate_wrapped_key()" \
    "SELECT * FROM ciam_privacy.generate_wrapped_key('login_test', 9)" 'permission denied'
expect_error "wrap_key_file()" \
    "SELECT * FROM ciam_privacy.wrap_key_file('login_test', 9, '/etc/hostname')" 'permission denied'
expect_error "import_key()" \
    "SELECT ciam_privacy.import_key('login_test', '/etc/hostname')" 'permission denied'
expect_error "create_key()" \
    "SELECT ciam_privacy.create_key('analyst_key')" 'permission denied'
expect_error "grant_key() to oneself" \
    "SELECT ciam_privacy.grant_key('login_test', 'regress_login_analyst')" 'permission denied'
expect_error "root_key_status()" \
    "SELECT * FROM ciam_privacy.root_key_status()" 'permission denied'
expect_error "SHOW root_key_file" \
    "SHOW ciam_privacy.root_key_file" 'must be superuser'
expect_error "pg_settings" \
    "SELECT CASE WHEN count(*) = 0 THEN 'hidden' END FROM pg_settings WHERE name LIKE 'ciam_privacy.root_key%'" \
    '^hidden$'

# A role without a budget that has the grant is not stopped by the
# login check
output=$(psql -X -At -q -c "SET ROLE regress_login_loader" -c "SELECT public.loader_pseudonym('alice') ~ '^v1:'" 2>&1)
[ "$output" = t ] || fail "the loader could not use its own function: $output"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DROP FUNCTION public.loader_pseudonym(text);
DROP FUNCTION public.owner_pseudonym(text);
SELECT ciam_privacy.destroy_key('login_test') \g /dev/null
DELETE FROM ciam_privacy.budget WHERE role = 'regress_login_analyst'::regrole;
REVOKE USAGE ON SCHEMA ciam_privacy FROM regress_login_loader;
DROP ROLE regress_login_analyst;
DROP ROLE regress_login_loader;
SQL
[ "$failures" -eq 0 ]
