"""Events' background work on the task queue: sending their email, typesetting invoices,
the minute tick (lapsed offers, reminders, anything left unsent or untypeset) and removing
attendees' details once their time is up. Each is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from mutuals.events import invoices, mail, reminders, retention, waiting


@task()
def send_event_mail() -> str:
    return str(mail.send_pending())


@task()
def make_invoice(invoice_id: int) -> bool:
    return invoices.make(invoice_id)


@task()
def tick_events() -> str:
    lapsed = waiting.expire_offers()
    reminded = reminders.send_reminders()
    for invoice_id in invoices.unmade():
        make_invoice.enqueue(invoice_id)
    sent = mail.send_pending()
    return f"{lapsed} offers lapsed, {reminded} reminders queued; mail: {sent}"


@task()
def forget_attendees() -> str:
    return f"{retention.forget_attendees()} bookings' details removed"
