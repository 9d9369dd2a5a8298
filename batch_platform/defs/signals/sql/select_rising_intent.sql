-- The $top account-topics of month $month whose research rose most (rising or new).
SELECT account_domain, topic, page_views, previous_page_views, contacts, trend
FROM reports.monthly_intent
WHERE month_start = $month AND trend IN ('rising', 'new')
ORDER BY page_views - previous_page_views DESC, account_domain, topic
LIMIT $top
