-- Web requests per site section
SELECT section, requests
FROM analytics.requests_per_section
ORDER BY requests DESC, section;
