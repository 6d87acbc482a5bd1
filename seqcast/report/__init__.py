"""The run documents (manifest, metrics, leaderboard) and the report page built from them."""
