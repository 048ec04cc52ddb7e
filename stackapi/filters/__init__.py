"""The filters stackapi ships, one per module; each is ``use = egg:stackapi#<module name>``.

========================  ===================================================
``request_id``            ``req-<uuid4>`` per request: environ, response header, log records
``faultwrap``             any exception below it -> JSON fault (500s reveal nothing)
========================  ===================================================

Each module's class (``<Name>Middleware``) documents its ini keys.
"""
