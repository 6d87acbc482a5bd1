"""Dataset specs: what a dataset is (columns, time index, target, defaults), its time index, and
the closed choice sets the specs and the run settings share."""
