"""Background work: every loop and sender, under one supervision."""
