"""A Router whose controller shows ``req.context`` and has an admin-only method."""

import routes

import stackapi


class WhoAmIController(stackapi.Controller):
    def index(self, req):
        return {"context": req.context.to_dict()}

    def delete(self, req, id):
        req.context.require_admin()


class WhoAmIRouter(stackapi.Router):
    def __init__(self, **conf):
        mapper = routes.Mapper()
        resource = stackapi.Resource(WhoAmIController())
        mapper.connect("/whoami", controller=resource, action="index")
        mapper.connect(
            "/things/{id}", controller=resource, action="delete", conditions={"method": ["DELETE"]}
        )
        super().__init__(mapper)
