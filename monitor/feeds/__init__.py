"""Feed ingestion, one module per stage: fetch (HTTP, caps, SSRF guard), parse (pure:
feedparser and JSON Feed -> drafts), store (upsert, dedupe), schedule (intervals, backoff,
quiet feeds), poll (the lease-fetch-parse-store-reschedule sequence), opml, manage, demo."""
