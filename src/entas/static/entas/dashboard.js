// The monitoring dashboard's charts: like charts.js (server-built Vega-Lite specs, rendered under the
// Content-Security-Policy), plus a download of each chart as PNG or SVG (vega's own export).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-dashboard-spec]").forEach(function (el) {
    var source = document.getElementById(el.dataset.dashboardSpec);
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
    }).then(function (result) {
      el.dataset.rendered = "1";
      document.querySelectorAll("[data-download-chart='" + el.id + "']").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          var format = button.dataset.format;
          result.view.toImageURL(format, format === "png" ? 2 : 1).then(function (url) {
            var link = document.createElement("a");
            link.href = url;
            link.download = (el.dataset.filename || el.id) + "." + format;
            document.body.appendChild(link);
            link.click();
            link.remove();
          });
        });
      });
    }).catch(function (err) { el.textContent = String(err); });
  });
});
