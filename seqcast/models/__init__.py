"""Forecasters: the deep Keras variants, the reference forecasts, and fitting a deep variant."""
