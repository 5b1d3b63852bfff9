"""DG methods: one file, one ``DG_ALGORITHMS``-registered ``DGAlgorithm`` subclass each."""
