"""The reception day (书记接待日): schedule and exceptions, duty roster, the walk-in desk and its
queue, grid-group intake, and the day's report."""
