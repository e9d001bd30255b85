"""Sending the outbox: renderers by notice kind, outcomes, the outgoing port."""
