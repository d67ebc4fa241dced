// Render every server-built Vega-Lite spec on the page: <div data-spec-id="x"> + <script id="x" type="application/json">.
// Under the Content-Security-Policy: expressions run in vega-embed's interpreter (ast: true), not through
// Function(), and neither vega-embed nor its tooltip injects a <style> (their CSS is vendor/vega-embed-7.3.0.css).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-spec-id]").forEach(function (el) {
    var source = document.getElementById(el.dataset.specId);
    if (!source || typeof vegaEmbed === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var lang = document.documentElement.lang === "en" ? "en-US" : "id-ID";
    vegaEmbed(el, spec, {
      actions: false,
      renderer: "svg",
      ast: true,
      defaultStyle: false,
      tooltip: {disableDefaultStyle: true},
      formatLocale: lang === "id-ID" ? {decimal: ",", thousands: ".", grouping: [3], currency: ["Rp", ""]} : undefined
    }).catch(function (err) { el.textContent = String(err); });
  });
});
