"""Reference vocabularies: sources, canonical event types and their synonyms, free-mail domains."""

from __future__ import annotations

SOURCES = ("website", "product", "email", "crm")

# canonical event type -> the spellings seen in the wild (after lower-casing, trimming and
# turning spaces, dots and hyphens into underscores).
EVENT_TYPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "page_view": ("page_view", "pageview", "page_visit", "view", "visit", "page_viewed"),
    "pricing_page_view": ("pricing_page_view", "pricing_view", "viewed_pricing"),
    "demo_request": ("demo_request", "demo_requested", "request_demo", "book_demo"),
    "trial_signup": ("trial_signup", "trial_started", "start_trial", "signup", "sign_up"),
    "webinar_attended": ("webinar_attended", "webinar", "webinar_registration", "attended_webinar"),
    "content_download": ("content_download", "download", "whitepaper_download", "ebook_download"),
    "form_submit": ("form_submit", "form_submitted", "form_fill", "contact_form"),
    "email_open": ("email_open", "open", "opened", "email_opened"),
    "email_click": ("email_click", "click", "clicked", "email_clicked", "link_click"),
    "email_bounce": ("email_bounce", "bounce", "bounced", "hard_bounce", "soft_bounce"),
    "unsubscribe": ("unsubscribe", "unsubscribed", "opt_out"),
    "login": ("login", "log_in", "signed_in", "session_start"),
    "feature_used": ("feature_used", "feature_use", "feature", "action"),
    "meeting_booked": ("meeting_booked", "meeting", "meeting_scheduled"),
    "opportunity_created": ("opportunity_created", "opportunity", "deal_created"),
    "support_ticket": ("support_ticket", "ticket_created", "case_created"),
}

FREE_MAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com",
    "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
    "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.com", "qq.com",
    "163.com", "zoho.com",
)  # fmt: skip


def event_type_rows() -> list[tuple[str, str]]:
    """(spelling, canonical) pairs, one per known spelling."""
    return [
        (spelling, canonical)
        for canonical, spellings in EVENT_TYPE_SYNONYMS.items()
        for spelling in dict.fromkeys((canonical, *spellings))
    ]
