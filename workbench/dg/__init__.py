"""Domain generalisation (DG): several labelled source domains, an unseen target, no target data in training.

- ``data``: ``DGScenario`` (source domains, each a group of subjects; the held-out target group)
  and ``load_dg`` (each source subject loaded as its own domain's part, a stratified 20 %
  validation split per subject, the target kept for evaluation only).
- ``scenarios``: the named leave-one-group-out lists (``harood_cross_person``).
- ``cross_dataset``: the ``cross_dataset`` list (train on two of HAR / HHAR / WISDM, test on the
  third) and the registered dataset that puts all three in one form (3-axis acc, 20 Hz, 50 steps, 5 activities).
- ``experiment``: the ``dg`` experiment kind ``fit`` trains.
- ``lodo``: leave-one-domain-out validation, a selection rule read from auxiliary runs (each
  source domain held out once as a pseudo-target; the step of the best mean held-out accuracy).
- ``base``: ``DGBatch`` (x, y and the domain id of every sample), ``DGAlgorithm`` and the
  ``DG_ALGORITHMS`` registry; ``methods/``: one file and one registered class per method.
"""
