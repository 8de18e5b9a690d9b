"""What the API and the browser console share over HTTP: the request dependencies (settings, a session)."""
