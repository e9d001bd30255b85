"""The team's people: joining, who may do what, reachability."""
