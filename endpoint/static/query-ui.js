// The query UI of /sparql: YASGUI on this endpoint, with the documented example queries one
// click away. Everything comes from this site (static/vendor/yasgui, /sparql/examples.json).
(function () {
  "use strict";
  var section = document.getElementById("query-ui");
  if (!section || typeof window.Yasgui === "undefined") return; // the plain form stays
  var endpoint = new URL(section.dataset.endpoint, window.location.href).href;
  var plain = document.getElementById("plain-form");
  var start = document.getElementById("query").value;
  var predeclared = JSON.parse(section.dataset.prefixes || "{}");

  // The endpoint predeclares its prefixes; the editor's syntax check does not know that, so the
  // ones a query uses are written out as PREFIX lines (the query means the same).
  function setQuery(tab, text) {
    tab.setQuery(text);
    var yasqe = tab.getYasqe();
    if (!yasqe) return;
    var declared = yasqe.getPrefixesFromQuery ? yasqe.getPrefixesFromQuery() : {};
    var body = text.replace(/#[^\n]*/g, "");
    var used = {};
    Object.keys(predeclared).forEach(function (p) {
      if (!(p in declared) && new RegExp("(^|[\\s(/^|,;{])" + p + ":").test(body)) used[p] = predeclared[p];
    });
    if (Object.keys(used).length) yasqe.addPrefixes(used);
  }

  // no lookups on other sites (prefix.cc, LOV): only the query's own variables
  if (Yasgui.Yasqe && Yasgui.Yasqe.defaults) Yasgui.Yasqe.defaults.autocompleters = ["variables"];

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json,*/*;q=0.9",
      acceptHeaderGraph: "text/turtle,*/*;q=0.9",
    },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    copyEndpointOnNewTab: true,
    persistenceId: null, // each visit starts afresh, on this endpoint
    populateFromUrl: false,
    yasr: { defaultPlugin: "table" },
  });
  var tab = yasgui.getTab();
  tab.setEndpoint(endpoint);
  setQuery(tab, start);
  section.hidden = false;
  plain.hidden = true;
  window.emisYasgui = yasgui;

  var select = document.getElementById("example-select");
  var why = document.getElementById("example-why");
  var examples = {};
  // a documented query's title in the page's language when its header has one (ru:, ky:)
  var lang = document.documentElement.lang;
  function title(ex) { return ex[lang] || ex.title; }
  fetch(section.dataset.examples, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (list) {
      list.forEach(function (ex) {
        examples[ex.id] = ex;
        var option = document.createElement("option");
        option.value = ex.id;
        option.textContent = title(ex);
        select.appendChild(option);
      });
      select.dataset.loaded = String(list.length);
    });
  select.addEventListener("change", function () {
    var ex = examples[select.value];
    if (!ex) return;
    var current = yasgui.getTab();
    current.setEndpoint(endpoint);
    setQuery(current, ex.query);
    var name = title(ex);
    current.setName(name.length > 40 ? name.slice(0, 38) + "…" : name);
    why.textContent = ex.why || "";
  });
})();
