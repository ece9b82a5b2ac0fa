// Everything GraphiQL needs is served by Kapok itself (see index.html), so the
// page works on an intranet without internet access.
(function () {
  var fetcher = GraphiQL.createFetcher({
    url: new URL('/graphql', window.location.href).toString(),
  });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolbarTabs: 'headers',
      defaultQuery:
        '# Kapok 红棉 — sign in with the login mutation, then add the header {"Authorization": "Bearer <accessToken>"} under Headers.\n' +
        '{\n  unit(code: "4401") {\n    name\n    children(first: 20) { totalCount edges { node { code name } } }\n  }\n}\n',
    }),
  );
})();
