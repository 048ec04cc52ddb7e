"""A Router whose controller blocks in plain time.sleep (patched by the server)."""

import time

import routes

import stackapi


class SleepController(stackapi.Controller):
    def index(self, req):
        seconds = min(float(req.GET.get("seconds", "1")), 30.0)
        time.sleep(seconds)
        return {"slept": seconds}


class SlowRouter(stackapi.Router):
    def __init__(self, **conf):
        mapper = routes.Mapper()
        mapper.connect(
            "/sleep",
            controller=stackapi.Resource(SleepController()),
            action="index",
            conditions={"method": ["GET"]},
        )
        super().__init__(mapper)
