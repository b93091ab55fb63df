"""Identity: candidates, logins, first-time mapping, profile, support tickets."""
