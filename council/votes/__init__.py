"""Residents' votes (民事民决): rule sets, electorate, ballots, tally, results and public notice.

Pure modules (no web or database imports): rules.py, electorate.py, tally.py, policy.py, tokens.py.
Use cases: manage.py (create, open, close), ballots.py (cast, enter, correct), queries.py (read),
documents.py (notice and voting-letter PDFs). Web: pages.py, api.py.
"""
