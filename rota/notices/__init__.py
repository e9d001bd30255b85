"""Typed outbox payloads: one frozen dataclass per notice kind, one module per feature.

`base` holds the shared pieces, `codec` turns payloads into the outbox's JSON and back.
"""
