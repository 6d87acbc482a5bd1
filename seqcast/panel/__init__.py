"""Many series in one dataset (a *panel*): one long-format file holds every series (its id,
its time, its target), global deep models learn from the windows of all of them, local
references are fitted per series, and the evaluation is the field's (MASE, sMAPE and coverage
per series and over series).

Prefect-free like the rest of the library: ``tasks/panel.py`` loads, calls and saves, and
``flows/panel.py`` wires those tasks. Single-series datasets never pass through here.
"""
