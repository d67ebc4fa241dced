// Render every server-built Vega-Lite spec on the page: <div data-spec-id="x"> + <script id="x" type="application/json">.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-spec-id]").forEach(function (el) {
    var source = document.getElementById(el.dataset.specId);
    if (!source || typeof vegaEmbed === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var lang = document.documentElement.lang === "en" ? "en-US" : "id-ID";
    vegaEmbed(el, spec, {
      actions: false,
      renderer: "svg",
      formatLocale: lang === "id-ID" ? {decimal: ",", thousands: ".", grouping: [3], currency: ["Rp", ""]} : undefined
    }).catch(function (err) { el.textContent = String(err); });
  });
});
