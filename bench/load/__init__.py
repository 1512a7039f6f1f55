"""Helpers of bench/webhook_load.py: child processes, fakes, TCP proxy, traffic, SQL counts, report.

Only `seed.py` imports the application (it runs in a subprocess); everything else drives the app
from outside, over HTTP and SQL.
"""
