"""Case backends (local table fed by pushes and imports, remote HTTP) and their wiring."""
