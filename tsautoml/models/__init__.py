"""Forecasting learners: statistical adapters, baselines and global regression models."""
