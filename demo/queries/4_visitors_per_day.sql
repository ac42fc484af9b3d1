-- Distinct visitors (pseudonymized client IP addresses) per day, each
-- visitor counted on at most 2 days
SELECT day, visitors
FROM analytics.visitors_per_day
ORDER BY day;
