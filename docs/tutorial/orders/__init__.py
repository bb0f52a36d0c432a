"""The `orders` bounded context of the tutorial "Add a bounded context" (tested in tests/launch).

Each module is one layer; its first docstring line says where it goes in a project.
"""
