"""Oversight above the station (issue 18): the figures a street or district officer reads across
the stations under them (council.oversight.figures). Read-only: nothing here writes."""
