"""The pytest plugin: turns protocol definition files into test items."""
