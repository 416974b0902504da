"""What the templates are given: a case, an account line, the buttons, a timeline, in the reader's words."""
