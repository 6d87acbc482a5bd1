"""Dataset specs: what a dataset is (columns, time index, target, defaults), its time index, and
drafting a spec from a CSV."""
