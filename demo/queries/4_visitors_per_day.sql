-- Distinct visitors (pseudonymized client IP addresses) per day
SELECT day, visitors
FROM analytics.visitors_per_day
ORDER BY day;
