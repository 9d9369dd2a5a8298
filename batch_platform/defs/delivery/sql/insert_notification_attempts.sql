-- The calls of one send of a notification (registered as notification_calls).
INSERT INTO delivery.notification_attempts BY NAME
SELECT * FROM notification_calls
