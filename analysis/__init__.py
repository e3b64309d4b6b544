"""papertrends: trend analytics for research papers (everything that is not UI)."""
