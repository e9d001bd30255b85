"""Reports: the debrief and the monthly figures."""
