"""stackapi: a framework and server for OpenStack-style REST APIs.

The names an API author imports.  Importing this package imports neither
eventlet nor anything that monkey-patches; only ``stackapi-server`` does.
"""

from stackapi.application import Application as Application
from stackapi.controller import Controller as Controller
from stackapi.controller import ResponseObject as ResponseObject
from stackapi.controller import action as action
from stackapi.controller import response as response
from stackapi.loader import loadapp as loadapp
from stackapi.middleware import Middleware as Middleware
from stackapi.resource import Resource as Resource
from stackapi.router import Router as Router

__version__ = "0.1.0"

__all__ = [
    "Application",
    "Controller",
    "Middleware",
    "Resource",
    "ResponseObject",
    "Router",
    "action",
    "loadapp",
    "response",
]
