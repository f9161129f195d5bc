"""Case studies (placeholder)."""
