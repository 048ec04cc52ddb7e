"""A third-party filter that does not say which app it calls (the walk cannot see past it)."""


class Opaque:
    def __init__(self, inner):
        self._hidden = inner

    def __call__(self, environ, start_response):
        return self._hidden(environ, start_response)


def filter_factory(global_conf, **local_conf):
    return Opaque
