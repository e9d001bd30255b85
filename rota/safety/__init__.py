"""Safety: walks, pairs, check-ins, escalation, SOS and home safe."""
