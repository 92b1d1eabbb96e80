"""Multi-party meetings: built by the meetings issue."""
