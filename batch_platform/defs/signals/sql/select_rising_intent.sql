-- The $top account-topics of month $month whose research rose most (rising or new): page views
-- gained first, then the provider's intent score.
SELECT
    account_domain, topic, page_views, previous_page_views, contacts, intent_score,
    previous_intent_score, trend
FROM reports.monthly_intent
WHERE month_start = $month AND trend IN ('rising', 'new')
ORDER BY page_views - previous_page_views DESC, intent_score DESC NULLS LAST, account_domain, topic
LIMIT $top
