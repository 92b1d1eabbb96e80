"""Background jobs: long work (voting letters for a whole electorate, large register imports, backups) run outside the request, with progress and a download when ready."""
