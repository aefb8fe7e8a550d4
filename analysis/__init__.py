"""Tune results -> a tidy table -> statistics, plots and a report that answers the study's questions."""
