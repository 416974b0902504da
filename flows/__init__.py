"""Content, not code: the escalation practice (`playbook.yml`) a CS-ops team may change.

`python -m assistant playbook check [DIR]` validates a team's own copy; a `flows/playbook.yml`
in CUSTOM_DIR replaces this one. Installed as the package `assistant_content.flows`.
"""
