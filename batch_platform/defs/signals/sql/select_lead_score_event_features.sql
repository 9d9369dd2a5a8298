-- Event features of the lead-score model, per example and event type: the decayed count
-- (each event counts 0.5^(age / $half_life_days)) over the $lookback_days before the example's
-- scoring_end, and the counts in its last $short_window_days and $long_window_days. Only the
-- types of $event_types (type_position is the 1-based place in it); only events before the
-- scoring date's end. Needs the temp table model_examples(example_id, scoring_end, email).
-- Parameters: $event_types, $lookback_days, $half_life_days, $short_window_days,
-- $long_window_days.
SELECT
    e.example_id,
    list_position($event_types::VARCHAR[], s.event_type) AS type_position,
    sum(
        pow(0.5, date_diff('second', s.occurred_at, e.scoring_end) / 86400.0 / $half_life_days)
    ) AS decayed_count,
    count(*) FILTER (
        WHERE s.occurred_at >= e.scoring_end - to_days($short_window_days::INTEGER)
    ) AS short_window_count,
    count(*) FILTER (
        WHERE s.occurred_at >= e.scoring_end - to_days($long_window_days::INTEGER)
    ) AS long_window_count
FROM model_examples AS e
JOIN clean.signals AS s
    ON s.email = e.email
    AND s.occurred_at >= e.scoring_end - to_days($lookback_days::INTEGER)
    AND s.occurred_at < e.scoring_end
WHERE list_contains($event_types::VARCHAR[], s.event_type)
GROUP BY e.example_id, s.event_type
