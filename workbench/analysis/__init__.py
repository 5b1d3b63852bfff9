"""Analyses: dataset similarity (DTW/DBA, Fawaz et al. 2018), task similarity (covariance, Wu et al. 2020)."""
