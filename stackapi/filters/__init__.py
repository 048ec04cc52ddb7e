"""The filters stackapi ships, one per module; each is ``use = egg:stackapi#<module name>``.

==========================  =================================================================
``http_proxy_to_wsgi``      believe ``X-Forwarded-*``/``Forwarded`` from ``trusted_proxies``
``request_id``              ``req-<uuid4>`` per request: environ, response header, log records
``access_log``              one line per request on logger ``stackapi.access``
``faultwrap``               any exception below it -> JSON fault (500s reveal nothing)
``cors``                    CORS headers; preflights answered here
``healthcheck``             ``GET``/``HEAD /healthcheck``; 503 while a disable file exists
``sizelimit``               413 for bodies over ``max_request_body_size`` (declared or chunked)
``noauth``                  development auth: ``X-Auth-Token: user:project``
``context``                 production auth: keystonemiddleware's headers -> context
==========================  =================================================================

(in the order a pipeline usually lists them).  Each module's class
(``<Name>Middleware``) documents its ini keys; all of them are plain WSGI on
the per-request path and can be subclassed.
"""
