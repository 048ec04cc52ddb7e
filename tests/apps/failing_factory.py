"""An app factory that fails the way user code does: a plain exception."""


def factory(global_conf, **local_conf):
    raise RuntimeError("the database is not reachable")
