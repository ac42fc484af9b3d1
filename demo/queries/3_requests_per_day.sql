-- Web requests per day
SELECT day, requests
FROM analytics.requests_per_day
ORDER BY day;
