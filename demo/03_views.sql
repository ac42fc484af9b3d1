-- Privatized views: the only objects the analyst can query.
--
-- Each view is a security_barrier view that groups by public key lists
-- from the reference schema and LEFT JOINs the data onto them, so every key
-- has a row whether or not the data contains it. The DP aggregates count a
-- column of the data side, which is NULL on keys without data, so such a
-- key gets a count of 0 plus noise. ciam_privacy.publish_view() checks
-- this shape: the key lists must be tables the analyst can read, joined at
-- the top level of the view on the preserved side of the LEFT JOIN.
--
-- Privacy unit: one person. Customer views use the per-unit forms on
-- customer_id, and web views on visitor. Each aggregate takes the unit
-- first and bounds what one unit can contribute: max_rows rows per group
-- and max_groups groups. So the noise protects a visitor with all their
-- requests, not one request. Each query on a view is charged the sum of
-- the epsilons written in it, once for all its groups.

CREATE SCHEMA analytics;

-- Epsilon 0.5: each customer is in one group, so noise of scale
-- 1 / 0.5 = 2 on each count of customers.
CREATE VIEW analytics.customers_by_country_sex WITH (security_barrier) AS
SELECT k.country,
       s.sex,
       ciam_privacy.dp_count_units(c.customer_id, 1, 0.5) AS customers
FROM reference.countries AS k
CROSS JOIN reference.sexes AS s
LEFT JOIN crm.customers AS c
       ON c.native_country = k.country AND c.sex = s.sex
GROUP BY k.country, s.sex
ORDER BY k.country, s.sex;

-- Epsilon 0.2 + 0.4 + 0.4 = 1.0. dp_avg clamps age to 17..90 years and
-- hours per week to 1..99. The bounds must not come from the data: the
-- lower ones follow the selection stated in adult.names (AAGE > 16 and
-- HRSWK > 0), and the upper ones are the owner's choice.
CREATE VIEW analytics.education_profile WITH (security_barrier) AS
SELECT k.education,
       ciam_privacy.dp_count_units(c.customer_id, 1, 0.2) AS customers,
       round(ciam_privacy.dp_avg(c.customer_id, c.age, 17, 90, 1, 1, 0.4)::numeric, 1) AS mean_age,
       round(ciam_privacy.dp_avg(c.customer_id, c.hours_per_week, 1, 99, 1, 1, 0.4)::numeric, 1)
           AS mean_hours_per_week
FROM reference.education_levels AS k
LEFT JOIN crm.customers AS c ON c.education = k.education
GROUP BY k.education
ORDER BY k.education;

-- Epsilon 0.2. Days are UTC days, as in the log. A visitor counts with at
-- most 10 requests a day on at most 2 days: noise of scale
-- 10 * 2 / 0.2 = 100 on each day's count.
CREATE VIEW analytics.requests_per_day WITH (security_barrier) AS
SELECT k.day,
       ciam_privacy.dp_count(r.visitor, 10, 2, 0.2) AS requests
FROM reference.log_days AS k
LEFT JOIN crm.web_requests AS r
       ON (r.requested_at AT TIME ZONE 'UTC')::date = k.day
GROUP BY k.day
ORDER BY k.day;

-- Epsilon 0.2. Visitors are the pseudonyms of the client addresses (see
-- 02_load.sql). A visitor counts on at most 2 days: noise of scale
-- 2 / 0.2 = 10 on each day's number of visitors.
CREATE VIEW analytics.visitors_per_day WITH (security_barrier) AS
SELECT k.day,
       ciam_privacy.dp_count_units(r.visitor, 2, 0.2) AS visitors
FROM reference.log_days AS k
LEFT JOIN crm.web_requests AS r
       ON (r.requested_at AT TIME ZONE 'UTC')::date = k.day
GROUP BY k.day
ORDER BY k.day;

-- Epsilon 0.2. The inner query assigns each request to its section, and to
-- 'other' when its first path segment is not listed. A visitor counts
-- with at most 10 requests in at most 3 sections: noise of scale 150.
CREATE VIEW analytics.requests_per_section WITH (security_barrier) AS
SELECT k.section,
       ciam_privacy.dp_count(r.visitor, 10, 3, 0.2) AS requests
FROM reference.site_sections AS k
LEFT JOIN (
    SELECT w.visitor, coalesce(s.section, 'other') AS section
    FROM crm.web_requests AS w
    LEFT JOIN reference.site_sections AS s
           ON s.first_segment = substring(w.path FROM '^/([^/?]*)')
) AS r ON r.section = k.section
GROUP BY k.section
ORDER BY k.section;

-- Epsilon 0.2. A visitor counts with at most 10 requests in at most 2
-- status classes: noise of scale 100.
CREATE VIEW analytics.requests_per_status_class WITH (security_barrier) AS
SELECT k.status_class,
       ciam_privacy.dp_count(r.visitor, 10, 2, 0.2) AS requests
FROM reference.status_classes AS k
LEFT JOIN crm.web_requests AS r ON r.status / 100 = k.first_digit
GROUP BY k.status_class
ORDER BY k.status_class;
