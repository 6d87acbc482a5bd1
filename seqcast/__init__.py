"""seqcast: raw time-series files to validated, windowed data and Keras forecasters.

This package holds the pure, Prefect-free logic. Prefect tasks live in ``tasks/``,
flows in ``flows/``, pandera schemas in ``schemas/``.
"""

__version__ = "0.1.0"
