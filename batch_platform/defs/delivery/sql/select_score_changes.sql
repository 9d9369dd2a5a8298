-- Contacts to send to one destination after the scores of $as_of_date: the score moved at least
-- $threshold points from the value last delivered there (never delivered counts as 0), or the
-- contact became an MQL. A destination never goes back to an older day's score. Records already
-- dead-lettered with the same key are not queued again (`deliveries retry` replays them).
-- Parameters: $destination, $as_of_date, $threshold.
WITH current_scores AS (
    SELECT *
    FROM scores.lead_scores
    WHERE as_of_date = $as_of_date::DATE
),
delivered AS (
    SELECT email, score, is_mql, as_of_date
    FROM delivery.delivered_scores
    WHERE destination = $destination
),
changes AS (
    SELECT
        c.email,
        c.account_domain,
        c.score,
        d.score AS delivered_score,
        c.tier,
        c.is_mql,
        c.as_of_date,
        strftime(c.as_of_date, '%Y-%m-%d') || '/' || printf('%.2f', c.score) AS score_version,
        CASE
            WHEN c.is_mql AND NOT coalesce(d.is_mql, false) THEN 'new_mql'
            WHEN d.email IS NULL THEN 'new_contact'
            ELSE 'score_change'
        END AS reason
    FROM current_scores AS c
    LEFT JOIN delivered AS d USING (email)
    WHERE (d.as_of_date IS NULL OR d.as_of_date <= c.as_of_date)
        AND (
            abs(c.score - coalesce(d.score, 0)) >= $threshold
            OR (c.is_mql AND NOT coalesce(d.is_mql, false))
        )
),
keyed AS (
    SELECT
        *,
        sha256($destination || chr(31) || email || chr(31) || score_version)[:32]
            AS idempotency_key
    FROM changes
),
first_seen AS (
    SELECT email, min(occurred_at) AS contact_created_at
    FROM clean.signals
    WHERE email IN (SELECT email FROM keyed)
    GROUP BY email
)
SELECT k.*, f.contact_created_at
FROM keyed AS k
LEFT JOIN first_seen AS f USING (email)
WHERE k.idempotency_key NOT IN (
    SELECT idempotency_key FROM delivery.dead_letters
    WHERE destination = $destination AND replayed_at IS NULL
)
