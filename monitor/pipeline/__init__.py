"""What happens to a stored article: matched, its alert stored, deliveries queued, placed in a story;
and the re-screening of stored articles after a list load. Above the services it calls (alerts,
notify, stories, watchlists), below the worker tasks and the command line that call it."""
