-- Distinct visitors per day, each visitor counted on at most 2 days
SELECT day, visitors
FROM analytics.visitors_per_day
ORDER BY day;
