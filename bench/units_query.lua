-- wrk script: POST the query named in the issue's latency target.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ units(under: \\"4401\\", level: COMMUNITY, first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { node { id code name level } } } }"}'
