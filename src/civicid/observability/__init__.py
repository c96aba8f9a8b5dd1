"""What operators see of the running service: Prometheus metrics and structured logs.

Neither may name a citizen. Metrics carry only bounded labels chosen by the code (route
templates, flows, stages, reason codes without their detail, limiter scopes); logs are one JSON
object per line, passed through a redaction filter (``logs.RedactingFilter``) as a second line of
defence behind code that never logs personal data in the first place.
"""
