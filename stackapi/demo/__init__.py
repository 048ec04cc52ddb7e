"""The demo service ``etc/api-paste.ini`` serves: a small compute API in nova's shapes.

``api`` wires it (Router, versions, policy, options), ``servers`` and
``flavors`` are the controllers, ``store`` the SQLite state.  docs/demo.md
is its reference.
"""
