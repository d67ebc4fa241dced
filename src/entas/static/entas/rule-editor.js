// The rule editor (targeting/rule_edit.html): validate and preview the rule as it is typed.
// Debounced; each answer of /targeting/rules/preview/ replaces the last (older answers are dropped).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) { return values[key] === undefined ? "" : String(values[key]); });
  }
  function number(n) { return Number(n).toLocaleString(document.documentElement.lang || "id"); }
  function percent(x) { return (100 * x).toLocaleString(document.documentElement.lang || "id", { maximumFractionDigits: 1 }) + " %"; }

  ready(function () {
    var form = document.getElementById("rule-form");
    if (!form) { return; }
    var url = form.getAttribute("data-preview-url");
    var expression = form.querySelector("[name=expression]");
    var inputs = ["expression", "benefit", "budget", "quota"].map(function (n) { return form.querySelector("[name=" + n + "]"); });
    var texts = document.getElementById("pv-messages").dataset;
    var errorLine = document.getElementById("rule-error");
    var caret = document.getElementById("rule-caret");
    var wordsLine = document.getElementById("rule-words");
    var status = document.getElementById("preview-status");
    var figures = document.getElementById("preview-figures");
    var table = document.getElementById("pv-table");
    var rowsBody = document.getElementById("pv-rows");
    var errorsBox = document.getElementById("pv-errors");
    var timer = null;
    var sequence = 0;

    function showError(data) {
      errorLine.textContent = data.text;
      errorLine.hidden = false;
      wordsLine.textContent = "";
      if (data.column) {
        // The rule on one line with a caret under the character the parser points at.
        var line = expression.value.replace(/\r?\n/g, " ").trim();
        var at = Math.max(0, Math.min(data.column - 1, line.length));
        caret.textContent = "";
        caret.appendChild(document.createTextNode(line.slice(0, at)));
        var mark = document.createElement("mark");
        mark.className = "rule-error-at";
        mark.textContent = line.slice(at, at + 1) || " ";
        caret.appendChild(mark);
        caret.appendChild(document.createTextNode(line.slice(at + 1) + "\n" + " ".repeat(at) + "^"));
        caret.hidden = false;
        caret.setAttribute("data-column", String(data.column));
      } else {
        caret.hidden = true;
      }
      expression.setAttribute("aria-invalid", "true");
      figures.hidden = true; table.hidden = true; errorsBox.hidden = true;
      status.textContent = texts.failed;
    }

    function showPreview(data) {
      errorLine.hidden = true; caret.hidden = true;
      expression.removeAttribute("aria-invalid");
      wordsLine.textContent = data.words;
      document.getElementById("pv-households").textContent = number(data.selected_households);
      document.getElementById("pv-people").textContent = number(data.selected_people);
      document.getElementById("pv-cost").textContent = data.cost;
      figures.hidden = false;
      rowsBody.textContent = "";
      data.by_kelurahan.forEach(function (row) {
        var tr = document.createElement("tr");
        var th = document.createElement("th"); th.scope = "row"; th.textContent = row.name; tr.appendChild(th);
        [number(row.households), number(row.people), row.cost].forEach(function (v) {
          var td = document.createElement("td"); td.className = "num"; td.textContent = v; tr.appendChild(td);
        });
        rowsBody.appendChild(tr);
      });
      table.hidden = data.by_kelurahan.length === 0;
      if (data.errors) {
        document.getElementById("pv-errors-text").textContent = fill(texts.errors, {
          exclusion: percent(data.errors.exclusion_error), inclusion: percent(data.errors.inclusion_error),
          survey: data.errors.survey, n: number(data.errors.sampled_households), line: data.errors.line_text
        });
        errorsBox.hidden = false;
      } else {
        errorsBox.hidden = true;
      }
      status.textContent = fill(texts.timing, { ms: number(data.milliseconds), n: number(data.households) });
      form.setAttribute("data-previewed", String(sequence));
    }

    function run() {
      var mine = ++sequence;
      var params = new URLSearchParams();
      inputs.forEach(function (el) { if (el) { params.set(el.name, el.value); } });
      status.textContent = texts.working;
      fetch(url + "?" + params.toString(), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== sequence) { return; }
          if (data.ok) { showPreview(data); } else { showError(data); }
        })
        .catch(function () { if (mine === sequence) { status.textContent = texts.failed; } });
    }

    function later() { clearTimeout(timer); timer = setTimeout(run, 300); }
    inputs.forEach(function (el) { if (el) { el.addEventListener("input", later); } });
    if (expression.value.trim()) { run(); }
  });
})();
