"""The demo service ``etc/api-paste.ini`` serves: a small compute API in nova's shapes.

``api`` wires it (Router, versions, policy, options), ``servers`` and
``flavors`` are the controllers, ``store`` the state (SQLAlchemy: SQLite or
PostgreSQL; ``tables`` and ``migrations`` its schema).  docs/demo.md
is its reference.
"""
