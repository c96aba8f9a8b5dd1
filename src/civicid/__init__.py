"""CivicID: a privacy-first national digital identity service."""

__version__ = "0.1.0"
