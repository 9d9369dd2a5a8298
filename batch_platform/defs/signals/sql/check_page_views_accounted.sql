-- Page views in the day's sessions ($day) against page views in clean.signals between $start
-- and $end (the day in UTC): how many are missing from or extra in sessions.
SELECT abs(
    (SELECT coalesce(sum(page_views), 0) FROM clean.web_sessions WHERE session_date = $day)
    - (
        SELECT count(*) FROM clean.signals
        WHERE source = 'website' AND event_type IN ('page_view', 'pricing_page_view')
            AND occurred_at >= $start AND occurred_at < $end
    )
)
