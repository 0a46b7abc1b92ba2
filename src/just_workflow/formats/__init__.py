"""Definition files: safe YAML, JSON and TOML readers, the document bridge to the model, the JSON Schema.

- :mod:`~just_workflow.formats.safe_yaml`: YAML read safely, with the position of every value;
- :mod:`~just_workflow.formats.loading`: files and folders to definitions, every problem located;
- :mod:`~just_workflow.formats.document`: the file format as plain data, and cattrs to and from the model;
- :mod:`~just_workflow.formats.json_schema`: the JSON Schema of definition documents.
"""

from collections.abc import Mapping

#: The syntax of a definition file, by its extension. Kept here, apart from the loader, so that what only
#: needs to recognize definition files (the pytest plugin, on every file pytest collects) imports nothing.
SYNTAXES: Mapping[str, str] = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
