"""HTTP backend tests: the real server on 127.0.0.1."""
