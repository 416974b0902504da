"""The content subsystem: the files a CS-ops team may change (flows/, messages/), loaded,
checked and installed once."""
