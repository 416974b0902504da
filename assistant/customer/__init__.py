"""The customer end: e-mail composed and sent, delivery kept going, the survey page."""
