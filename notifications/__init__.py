"""What leaves the system: alerts, delivery channels and letters (built in later issues)."""
