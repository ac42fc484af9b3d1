-- Load the access log from standard input, with each client IP address
-- replaced by its pseudonym. Parse the lines that scripts/demo.sh copied
-- into the crm.*_lines tables and fill the public key lists. Then check
-- the result against the published facts about the files: any failed
-- check stops the demo. scripts/demo.sh runs this file as
-- psql -f demo/02_load.sql < data/web_access/apache_access_2015.log.

------------------------------------------------------------------------
-- The access log: client IP addresses pseudonymized before storage
------------------------------------------------------------------------

-- The raw lines go into a temporary table of this session only: it is not
-- WAL-logged, so no WAL record, replica or WAL archive receives an
-- address. Its pages stay in this backend's local buffers, which are
-- sized above the log's 2.4 MB so that they are not written to the
-- table's temporary file. The table is dropped at the end of this section,
-- and in any case when the session ends.
SET temp_buffers = '64MB';
CREATE TEMPORARY TABLE access_log_raw (
    line_number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line text
);
-- CSV mode with a delimiter and a quote character that the log never
-- contains (0x1F, 0x1E) keeps every byte, where text mode would interpret
-- the backslashes in the log (its referrers contain literal \xNN escapes).
\copy access_log_raw (line) FROM pstdin WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')

-- The pseudonym of a log line's first field: the inet pseudonym for an IP
-- address, the text pseudonym for anything else (a host name).
CREATE FUNCTION pg_temp.visitor_pseudonym(host text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN ciam_privacy.pseudonymize(host::inet, 'web_visitors');
EXCEPTION WHEN invalid_text_representation THEN
    RETURN ciam_privacy.pseudonymize(host, 'web_visitors');
END;
$$;

-- Every line is kept, the first field replaced, so line numbers and the
-- lines that do not parse below stay available to the owner.
INSERT INTO crm.access_log_lines (line)
SELECT pg_temp.visitor_pseudonym(substring(r.line FROM '^\S*'))
       || substring(r.line FROM '^\S*(.*)$')
FROM access_log_raw AS r
ORDER BY r.line_number;

DROP TABLE access_log_raw;

------------------------------------------------------------------------
-- Customers: adult.data, one person per line
------------------------------------------------------------------------

-- Fields are separated by a comma and a space, and the file ends with an
-- empty line, which is skipped. The LATERAL call splits each line once,
-- where a subquery would be pulled up by the planner and repeat the call
-- for each of the 15 columns.
INSERT INTO crm.customers (
    age, workclass, fnlwgt, education, education_num, marital_status,
    occupation, relationship, race, sex, capital_gain, capital_loss,
    hours_per_week, native_country, income)
SELECT f[1]::integer,
       nullif(f[2], '?'),
       f[3]::integer,
       nullif(f[4], '?'),
       f[5]::integer,
       nullif(f[6], '?'),
       nullif(f[7], '?'),
       nullif(f[8], '?'),
       nullif(f[9], '?'),
       nullif(f[10], '?'),
       f[11]::integer,
       f[12]::integer,
       f[13]::integer,
       nullif(f[14], '?'),
       nullif(f[15], '?')
FROM crm.adult_data_lines AS l
CROSS JOIN LATERAL string_to_array(l.line, ', ') AS f
WHERE cardinality(f) = 15
ORDER BY l.line_number;

------------------------------------------------------------------------
-- Web requests: the access log in the combined log format
------------------------------------------------------------------------

-- visitor ident user [time] "method path protocol" status bytes "referrer"
-- "user agent", where visitor is the pseudonym that replaced the host. A
-- line that does not match, such as one cut off in the middle, stays in
-- crm.access_log_lines only.
INSERT INTO crm.web_requests (
    line_number, visitor, requested_at, method, path, protocol, status,
    bytes, referrer, user_agent)
SELECT l.line_number,
       m[1],
       to_timestamp(m[2], 'DD/Mon/YYYY:HH24:MI:SS TZHTZM'),
       m[3],
       m[4],
       m[5],
       m[6]::smallint,
       nullif(m[7], '-')::bigint,
       nullif(m[8], '-'),
       nullif(m[9], '-')
FROM crm.access_log_lines AS l
CROSS JOIN LATERAL regexp_match(l.line,
    '^(\S+) \S+ \S+ \[([^]]+)\] "(\S+) (\S+) (\S+)" ([0-9]{3}) ([0-9]+|-) "([^"]*)" "([^"]*)"$') AS m
WHERE m IS NOT NULL
ORDER BY l.line_number;

------------------------------------------------------------------------
-- Public key lists
------------------------------------------------------------------------

-- Categories of one attribute, from its line in adult.names, for example
-- "sex: Female, Male."
CREATE FUNCTION pg_temp.adult_categories(attribute text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT btrim(category)
    FROM crm.adult_names_lines,
         regexp_split_to_table(
             substring(btrim(line) FROM '^' || attribute || ':(.*)\.$'),
             ',') AS category
    WHERE line LIKE attribute || ':%'
$$;

INSERT INTO reference.countries SELECT pg_temp.adult_categories('native-country');
INSERT INTO reference.education_levels SELECT pg_temp.adult_categories('education');
INSERT INTO reference.sexes SELECT pg_temp.adult_categories('sex');

-- The log covers 17 to 20 May 2015, in UTC like its timestamps.
INSERT INTO reference.log_days
SELECT generate_series(date '2015-05-17', date '2015-05-20', interval '1 day')::date;

-- The top-level folders of the web site that the owner reports on. This
-- list is the owner's choice, fixed before looking at any count.
INSERT INTO reference.site_sections (section, first_segment) VALUES
    ('home', ''),
    ('blog', 'blog'),
    ('presentations', 'presentations'),
    ('projects', 'projects'),
    ('articles', 'articles'),
    ('files', 'files'),
    ('images', 'images'),
    ('other', NULL);

INSERT INTO reference.status_classes (status_class, first_digit) VALUES
    ('1xx', 1), ('2xx', 2), ('3xx', 3), ('4xx', 4), ('5xx', 5);

-- Fresh statistics give the analyst's queries sensible plans at once.
-- NOTE: ANALYZE also writes exact row counts into pg_class.reltuples, which
-- every role can read. Autovacuum would write them too, soon after the load.
ANALYZE;

------------------------------------------------------------------------
-- Checks
------------------------------------------------------------------------

CREATE TEMPORARY TABLE load_checks (
    position integer GENERATED ALWAYS AS IDENTITY,
    fact text NOT NULL,
    expected bigint NOT NULL,
    actual bigint
);

INSERT INTO load_checks (fact, expected, actual) VALUES
    ('adult.data: non-empty lines', 32561,
     (SELECT count(*) FROM crm.adult_data_lines WHERE btrim(line) <> '')),
    ('crm.customers: rows', 32561,
     (SELECT count(*) FROM crm.customers)),
    ('crm.customers: Male', 21790,
     (SELECT count(*) FROM crm.customers WHERE sex = 'Male')),
    ('crm.customers: Female', 10771,
     (SELECT count(*) FROM crm.customers WHERE sex = 'Female')),
    ('crm.customers: rows with a ''?'' (NULL)', 2399,
     (SELECT count(*) FROM crm.customers
      WHERE num_nulls(workclass, occupation, native_country) > 0)),
    ('apache_access_2015.log: lines', 10000,
     (SELECT count(*) FROM crm.access_log_lines)),
    ('crm.web_requests: lines in combined format', 9999,
     (SELECT count(*) FROM crm.web_requests)),
    ('crm.web_requests: distinct visitors (distinct client addresses)', 1753,
     (SELECT count(DISTINCT visitor) FROM crm.web_requests)),
    ('crm.web_requests: visitors that are not pseudonyms', 0,
     (SELECT count(*) FROM crm.web_requests
      WHERE visitor !~ '^v[0-9]+:[0-9a-f]{64}$')),
    ('crm.access_log_lines: lines that still start with an IP address', 0,
     (SELECT count(*) FROM crm.access_log_lines
      WHERE line ~ '^[0-9]{1,3}(\.[0-9]{1,3}){3}\M' OR line ~ '^[0-9a-fA-F]*:[0-9a-fA-F:.]*\s')),
    ('temporary tables left in this session', 0,
     (SELECT count(*) FROM pg_class
      WHERE relpersistence = 't' AND relname = 'access_log_raw')),
    ('reference.countries (adult.names)', 41,
     (SELECT count(*) FROM reference.countries)),
    ('reference.education_levels (adult.names)', 16,
     (SELECT count(*) FROM reference.education_levels)),
    ('reference.sexes (adult.names)', 2,
     (SELECT count(*) FROM reference.sexes)),
    ('customers whose country, education or sex is not listed', 0,
     (SELECT count(*) FROM crm.customers AS c
      WHERE (c.native_country IS NOT NULL AND c.native_country NOT IN
                (SELECT country FROM reference.countries))
         OR c.education NOT IN (SELECT education FROM reference.education_levels)
         OR c.sex NOT IN (SELECT sex FROM reference.sexes))),
    ('requests outside 2015-05-17..2015-05-20 (UTC)', 0,
     (SELECT count(*) FROM crm.web_requests
      WHERE (requested_at AT TIME ZONE 'UTC')::date NOT IN
                (SELECT day FROM reference.log_days)));

SELECT fact, expected, actual,
       CASE WHEN actual = expected THEN 'ok' ELSE 'FAILED' END AS result
FROM load_checks
ORDER BY position;

DO $$
DECLARE
    failed text;
BEGIN
    SELECT string_agg(format('%s: expected %s, found %s', fact, expected, actual),
                      '; ' ORDER BY position)
    INTO failed
    FROM load_checks
    WHERE actual IS DISTINCT FROM expected;

    IF failed IS NOT NULL THEN
        RAISE EXCEPTION 'the loaded data does not match the published facts'
            USING DETAIL = failed,
                  HINT = 'Check the files with: cd data && sha256sum -c SHA256SUMS. They must match the sources in data/SOURCES.md byte for byte.';
    END IF;
END;
$$;
