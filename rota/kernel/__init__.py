"""The shared kernel: clock, time, template, errors, unit of work and outbox."""
