"""Thin Celery tasks for this stage (being built): open a session, call one monitor function."""
