"""Cases (proposals, requests, disputes): built by the cases issue."""
