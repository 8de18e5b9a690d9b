"""Stories in the service: articles placed into stories as they are matched, triage and review per story."""
