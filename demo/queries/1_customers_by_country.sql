-- Customers per country of birth, women and men side by side (10 largest)
SELECT country,
       sum(customers) FILTER (WHERE sex = 'Female') AS female,
       sum(customers) FILTER (WHERE sex = 'Male') AS male
FROM analytics.customers_by_country_sex
GROUP BY country
ORDER BY sum(customers) DESC, country
LIMIT 10;
