-- wrk script: POST a volunteers query with the bearer token from $TOKEN.
-- QUERY selects which: "district" (volunteers(under:"440104", first:100)) or
-- "street" (the caller's own scope, volunteers(first:100)), or "district_page" (the
-- district list without totalCount, to separate the page from the count), "stats"
-- (unitStats of the district with its streets), "stats_year" (the same for a half
-- year), "records" (the caller's serviceRecords(first:100)).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local which = os.getenv("QUERY") or "district"
if which == "stats" then
  wrk.body = '{"query":"{ unitStats(code: \\"440104\\") { figures { volunteers newVolunteers partyMembers partyMembersReporting teams organizations activitiesHeld peopleServed hoursServed serviceRecords hoursPerVolunteer volunteersByStar { stars count } } stations { kind count streetCoverage communityCoverage } children { unitCode figures { volunteers partyMembers teams organizations activitiesHeld peopleServed hoursServed hoursPerVolunteer volunteersByStar { stars count } } } } }"}'
elseif which == "stats_year" then
  wrk.body = '{"query":"{ unitStats(code: \\"440104\\", from: \\"2026-01-01\\", to: \\"2026-06-30\\") { figures { volunteers newVolunteers activitiesHeld peopleServed hoursServed serviceRecords hoursPerVolunteer volunteersByStar { stars count } } children { unitCode figures { hoursServed activitiesHeld } } } }"}'
elseif which == "records" then
  wrk.body = '{"query":"{ serviceRecords(first: 100) { edges { cursor node { id hours state startedAt content unitCode } } } }"}'
elseif which == "district_page" then
  wrk.body = '{"query":"{ volunteers(under: \\"440104\\", first: 100) { edges { cursor node { id volunteerNumber realName gender unitCode } } } }"}'
elseif which == "street" then
  wrk.body = '{"query":"{ volunteers(first: 100) { totalCount edges { cursor node { id volunteerNumber realName gender unitCode } } } }"}'
else
  wrk.body = '{"query":"{ volunteers(under: \\"440104\\", first: 100) { totalCount edges { cursor node { id volunteerNumber realName gender unitCode } } } }"}'
end
