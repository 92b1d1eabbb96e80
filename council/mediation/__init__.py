"""People's mediation (人民调解): dispute files, sessions, agreements, performance, judicial confirmation."""
