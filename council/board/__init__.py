"""The station's public board (公示栏): what the station received and settled this month and the
decisions residents took, readable without signing in and de-identified."""
