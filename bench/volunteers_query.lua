-- wrk script: POST a volunteers query with the bearer token from $TOKEN.
-- QUERY selects which: "district" (volunteers(under:"440104", first:100)) or
-- "street" (the caller's own scope, volunteers(first:100)), or "district_page" (the
-- district list without totalCount, to separate the page from the count).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local which = os.getenv("QUERY") or "district"
if which == "stats" then
  wrk.body = '{"query":"{ unitStats(code: \\"440104\\") { figures { volunteers partyMembers partyMembersReporting teams organizations } stations { kind count streetCoverage communityCoverage } children { unitCode figures { volunteers partyMembers teams organizations } } } }"}'
elseif which == "district_page" then
  wrk.body = '{"query":"{ volunteers(under: \\"440104\\", first: 100) { edges { cursor node { id volunteerNumber realName gender unitCode } } } }"}'
elseif which == "street" then
  wrk.body = '{"query":"{ volunteers(first: 100) { totalCount edges { cursor node { id volunteerNumber realName gender unitCode } } } }"}'
else
  wrk.body = '{"query":"{ volunteers(under: \\"440104\\", first: 100) { totalCount edges { cursor node { id volunteerNumber realName gender unitCode } } } }"}'
end
