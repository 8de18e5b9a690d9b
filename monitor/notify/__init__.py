"""Getting alerts to people: subscriptions and their filters, the outbox and its delivery
(Standard Webhooks, SMTP e-mail, apprise), and the daily digest. See docs/notifications.md.

outbox.py       one Delivery per (alert, subscription), written in the alert's transaction
filters.py      does an alert pass a subscription's filter (pure)
subscriptions.py create / list / update / pause / delete / rotate-secret; SSRF checks on targets
secretbox.py    whsec_ secrets, Fernet-encrypted at rest
webhook.py      signing, sending, Retry-After
email.py        SMTP, multipart text + HTML
apprise_channel.py chat and push channels
deliver.py      claim, send, record, retry schedule, per-subscription order, sweeps, redelivery
digest.py       the daily digest per (subscription, local date)
payload.py, render.py, templates/   what a message says
"""
