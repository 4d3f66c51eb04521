"""Redis adapters: optional conversation state and locks for many instances."""
