"""Housekeeping: deleting what has expired, so that every table stays bounded under load."""
