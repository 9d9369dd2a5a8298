"""Lead-scoring defaults, shared by the scores asset and the benchmark."""

# Points per event, after common public lead-scoring models (HubSpot, Marketo, Salesforce).
DEFAULT_WEIGHTS = {
    "demo_request": 30.0,
    "trial_signup": 25.0,
    "pricing_page_view": 20.0,
    "webinar_attended": 15.0,
    "meeting_booked": 15.0,
    "content_download": 10.0,
    "form_submit": 10.0,
    "email_click": 5.0,
    "feature_used": 2.0,
    "login": 2.0,
    "email_open": 1.0,
    "page_view": 1.0,
    "email_bounce": -10.0,
    "unsubscribe": -25.0,
}
