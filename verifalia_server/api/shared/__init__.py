"""What the API surfaces share: middleware, errors, authentication, keys, the entry rendering, request
models, callbacks, and the node-level routes (`/`, `/health`, `/metrics`, `/openapi.json`)."""
