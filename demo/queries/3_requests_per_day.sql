-- Web requests per day, at most 10 a day from each visitor, on at most 2 days
SELECT day, requests
FROM analytics.requests_per_day
ORDER BY day;
