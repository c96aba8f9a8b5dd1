"""Measuring a face engine on a dataset: error rates, the LFW protocol, reports and plots."""
