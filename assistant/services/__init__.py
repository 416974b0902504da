"""Domain services: they own the transactions and the rules, and know nothing of Slack."""
