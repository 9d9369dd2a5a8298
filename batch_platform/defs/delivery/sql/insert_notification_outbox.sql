-- A notification the first send could not deliver, waiting for its next attempt.
INSERT INTO delivery.notification_outbox BY NAME
SELECT
    $notification_id AS notification_id,
    $url AS url,
    $kind AS kind,
    $subject AS subject,
    $body AS body,
    $signing_secret_env AS signing_secret_env,
    $timeout_seconds AS timeout_seconds,
    $guarded AS guarded,
    'waiting' AS status,
    $attempts AS attempts,
    0 AS retry_rounds,
    $now::TIMESTAMP AS created_at,
    $now::TIMESTAMP AS last_attempted_at,
    $http_status::INTEGER AS last_http_status,
    $error AS last_error,
    $next_attempt_at::TIMESTAMP AS next_attempt_at,
    NULL::TIMESTAMP AS delivered_at
