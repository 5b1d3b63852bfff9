"""Self-supervised, multi-task and supervised (pre-)training runs: TS2Vec, MTL/MTCS, FCN fine-tuning."""
