// Bootstrap for the Tollgate GraphiQL page (served as /graphiql/assets/init.js).
// Kept out of index.html so the page works under `script-src 'self'`.
// Loaded with `defer` after React, ReactDOM and GraphiQL, which define the
// globals React, ReactDOM and GraphiQL.
(function () {
  'use strict';

  var loc = window.location;
  // Same origin as the page: HTTP(S) for queries and mutations, and
  // WS(S) (protocol graphql-transport-ws) for subscriptions.
  var httpUrl = loc.origin + '/graphql';
  // Page scheme http or https becomes ws or wss.
  var wsUrl = loc.protocol.replace(/^http/, 'ws') + '//' + loc.host + '/graphql';

  var fetcher = GraphiQL.createFetcher({
    url: httpUrl,
    subscriptionUrl: wsUrl,
  });

  // The Tollgate example and the Authorization header template, from the
  // page's data blocks; GraphiQL shows them until the browser saved its own.
  function block(id) {
    var element = document.getElementById(id);
    return element ? element.textContent.replace(/^\n/, '') : undefined;
  }

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: block('default-query'),
      defaultHeaders: block('default-headers'),
      defaultEditorToolsVisibility: 'headers',
    })
  );
})();
