"""Steering: the KTLO-mode recommendation, forecasts, sprint budgets and rotations."""
