"""Evaluation: metrics, the rolling-origin backtest plan, the leaderboard and champion rule, seed
and model ensembles."""
