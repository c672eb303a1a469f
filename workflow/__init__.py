"""The engine: use cases, persistence, the working-day calendar, clocks and the command line."""
