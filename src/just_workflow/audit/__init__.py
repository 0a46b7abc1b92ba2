"""The audit: log files, replay, and verification of what a store keeps.

- :mod:`~just_workflow.audit.reader`: read a log line by line, strictly, into a sink;
- :mod:`~just_workflow.audit.logfile`: write histories as JSON Lines, read a log back whole;
- :mod:`~just_workflow.audit.report`: the log as read, heads, problems and the report;
- :mod:`~just_workflow.audit.replay`: fold the pure step over a log, or a log file as it is read;
- :mod:`~just_workflow.audit.verify`: verify a store, import a log that verifies.

The audit knows the core and the store interface, never the engine.
"""
