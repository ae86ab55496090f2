"""Built-in emulators of the remote systems, served at /sandbox/<system>/ (demo and test only)."""
